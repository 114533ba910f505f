package dev.clearway.streams.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clearway.tls.CertifiedKey;
import dev.clearway.tls.ServerTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The TLS stage as a server against the JDK's own client {@link SSLEngine}, without sockets: the
 * test cuts the client's ciphertext into whatever chunks a case needs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsFlowTest {
  private ActorSystem system;
  private TlsFixtures tls;
  private SSLContext client;
  private final TlsBufferPool pool = new TlsBufferPool(8);

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    system = ActorSystem.create("TlsFlowTest");
    tls = new TlsFixtures(dir, List.of("TLSv1.3", "TLSv1.2"));
    client = tls.clientContext(null);
  }

  @AfterAll
  void stop() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Flow<ByteString, ByteString, NotUsed> echo() {
    return Flow.create();
  }

  /** An echo that reports how the plaintext side ended. */
  private static Flow<ByteString, ByteString, CompletionStage<Done>> watchedEcho() {
    return Flow.<ByteString>create().watchTermination(Keep.right());
  }

  private static ByteString text(String s) {
    return ByteString.fromString(s, StandardCharsets.UTF_8);
  }

  private static ByteString random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return ByteString.fromArray(b);
  }

  private static Throwable failureOf(CompletionStage<?> stage) throws Exception {
    try {
      stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
      throw new AssertionError("completed normally; a failure was expected");
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  /** Takes the server's ciphertext until its network side completes; returns the plaintext (close_notify is noted by the client). */
  private static ByteString readToEnd(InProcessServer<?> server, EngineClient c) throws Exception {
    ByteString got = ByteString.emptyByteString();
    Optional<ByteString> chunk;
    while ((chunk = server.take()).isPresent()) {
      got = got.concat(c.unwrap(chunk.get()));
    }
    return got;
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void aJdkClientHandshakesAndGetsItsBytesBackAndTheIdleConnectionHoldsNoBuffer(String protocol) throws Exception {
    InProcessServer<NotUsed> server = InProcessServer.start(system, tls::serverEngine, pool, echo());
    EngineClient c = new EngineClient(tls.clientEngine(client, protocol));

    server.handshake(c, Integer.MAX_VALUE);
    server.offer(c.wrap(text("hello")));

    assertThat(server.read(c, 5).utf8String()).isEqualTo("hello");
    assertThat(server.established.get().getProtocol()).isEqualTo(protocol);
    assertThat(pool.lent()).as("buffers lent while idle").isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void everyRecordCutIntoOneByteChunksIsStillUnderstood(String protocol) throws Exception {
    InProcessServer<NotUsed> server = InProcessServer.start(system, tls::serverEngine, pool, echo());
    EngineClient c = new EngineClient(tls.clientEngine(client, protocol));
    ByteString message = random(3000, 1);

    server.handshake(c, 1);
    server.offer(c.wrap(message), 1);

    assertThat(server.read(c, message.length())).isEqualTo(message);
  }

  @Test
  void manyRecordsInOneChunkAreAllDeliveredInOrder() throws Exception {
    InProcessServer<NotUsed> server = InProcessServer.start(system, tls::serverEngine, pool, echo());
    EngineClient c = new EngineClient(tls.clientEngine(client, "TLSv1.3"));
    server.handshake(c, Integer.MAX_VALUE);
    ByteString records = ByteString.emptyByteString();
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      records = records.concat(c.wrap(text("message " + i + ";")));
      expected.append("message ").append(i).append(';');
    }

    server.offer(records);

    assertThat(server.read(c, expected.length()).utf8String()).isEqualTo(expected.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void aMegabyteOfManyRecordsInChunksOfRandomSizesUpToThreeBuffersRoundTrips(String protocol) throws Exception {
    InProcessServer<NotUsed> server = InProcessServer.start(system, tls::serverEngine, pool, echo());
    EngineClient c = new EngineClient(tls.clientEngine(client, protocol));
    ByteString payload = random(1 << 20, 2);
    server.handshake(c, Integer.MAX_VALUE);

    ByteString cipher = c.wrap(payload);
    // Fed from another thread: the echo's records must be read meanwhile, or backpressure stops the feed.
    CompletableFuture<Void> fed = CompletableFuture.runAsync(() -> {
      Random cuts = new Random(3);
      try {
        for (int i = 0; i < cipher.length(); ) {
          int n = Math.min(cipher.length() - i, 1 + cuts.nextInt(3 * TlsBufferPool.bufferSize()));
          server.offer(cipher.slice(i, i + n));
          i += n;
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });

    assertThat(server.read(c, payload.length())).isEqualTo(payload);
    fed.get(10, TimeUnit.SECONDS);
    assertThat(pool.lent()).isZero();
  }

  @Test
  void aWholeMegabyteInOneChunkRoundTrips() throws Exception {
    InProcessServer<NotUsed> server = InProcessServer.start(system, tls::serverEngine, pool, echo());
    EngineClient c = new EngineClient(tls.clientEngine(client, "TLSv1.3"));
    ByteString payload = random(1 << 20, 4);
    server.handshake(c, Integer.MAX_VALUE);

    server.offer(c.wrap(payload));

    assertThat(server.read(c, payload.length())).isEqualTo(payload);
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void theSessionWithTheClientsCertificateChainIsReportedOnceBeforeAnyPlaintext(String protocol) throws Exception {
    CertifiedKey device = tls.pki.device("device-1");
    List<String> events = new CopyOnWriteArrayList<>();
    List<Certificate[]> chains = new CopyOnWriteArrayList<>();
    Flow<ByteString, ByteString, NotUsed> app = Flow.<ByteString>create().map(b -> {
      events.add("plaintext");
      return b;
    });
    InProcessServer<NotUsed> server = InProcessServer.start(system, tls::serverEngine, pool, app, session -> {
      events.add("established");
      try {
        chains.add(session.getPeerCertificates());
      } catch (SSLPeerUnverifiedException e) {
        chains.add(new Certificate[0]);
      }
    });
    EngineClient c = new EngineClient(tls.clientEngine(tls.clientContext(device), protocol));

    server.handshake(c, Integer.MAX_VALUE);
    server.offer(c.wrap(text("after the handshake")));
    server.read(c, 19);

    assertThat(events).containsExactly("established", "plaintext");
    assertThat(chains).hasSize(1);
    assertThat(chains.get(0)).containsExactlyElementsOf(device.chain());
  }

  @Test
  void withoutAClientCertificateTheSessionHasNoPeerChain() throws Exception {
    InProcessServer<NotUsed> server = InProcessServer.start(system, tls::serverEngine, pool, echo());
    EngineClient c = new EngineClient(tls.clientEngine(client, "TLSv1.3"));

    server.handshake(c, Integer.MAX_VALUE);
    SSLSession session = server.established.get(10, TimeUnit.SECONDS);

    assertThatThrownBy(session::getPeerCertificates).isInstanceOf(SSLPeerUnverifiedException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void aServerNeedingAClientCertificateRefusesAClientWithoutOneWithAnAlertAndOneLine(String protocol) throws Exception {
    InProcessServer<CompletionStage<Done>> server =
        InProcessServer.start(system, tls::serverEngineNeedingClientAuth, pool, watchedEcho());

    assertRefusedWithAnAlertAndOneLine(server, protocol);
  }

  /** A client without a certificate gets the server's alert; the application hears one line, and no session. */
  private void assertRefusedWithAnAlertAndOneLine(InProcessServer<CompletionStage<Done>> server, String protocol) throws Exception {
    EngineClient c = new EngineClient(tls.clientEngine(client, protocol));
    assertThatThrownBy(() -> {
      server.handshake(c, Integer.MAX_VALUE);
      readToEnd(server, c);
    }).isInstanceOf(SSLException.class).hasMessageContaining("alert");

    Throwable failure = failureOf(server.app);
    assertThat(failure).isInstanceOf(SSLHandshakeException.class);
    assertThat(failure.getMessage()).isNotBlank().doesNotContain("\n");
    assertThat(server.established).isNotDone();
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void withAHandshakeExecutorTheEnginesTasksRunThereAndTheConnectionThenCarriesData(String protocol) throws Exception {
    List<String> taskThreads = new CopyOnWriteArrayList<>();
    ExecutorService handshakes = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-handshakes"));
    try {
      Executor recording = task -> handshakes.execute(() -> {
        taskThreads.add(Thread.currentThread().getName());
        task.run();
      });
      InProcessServer<NotUsed> server = InProcessServer.startWithHandshakeExecutor(system, tls::serverEngine, pool, echo(), recording);
      EngineClient c = new EngineClient(tls.clientEngine(client, protocol));

      server.handshake(c, 7); // small chunks: records arrive while the tasks run
      server.offer(c.wrap(text("after the tasks")));

      assertThat(server.read(c, 15).utf8String()).isEqualTo("after the tasks");
      assertThat(taskThreads).as("the server's key agreement and signature").isNotEmpty().containsOnly("test-handshakes");
    } finally {
      handshakes.shutdownNow();
    }
  }

  @Test
  void aHandshakeExecutorThatRefusesTheTasksHasThemRunInline() throws Exception {
    ExecutorService stopped = Executors.newSingleThreadExecutor();
    stopped.shutdown(); // refuses everything, as one does while the gateway stops
    InProcessServer<NotUsed> server = InProcessServer.startWithHandshakeExecutor(system, tls::serverEngine, pool, echo(), stopped);
    EngineClient c = new EngineClient(tls.clientEngine(client, "TLSv1.3"));

    server.handshake(c, Integer.MAX_VALUE);
    server.offer(c.wrap(text("inline")));

    assertThat(server.read(c, 6).utf8String()).isEqualTo("inline");
  }

  @Test
  void aHandshakeRefusedWhileItsTasksRanElsewhereFailsWithTheEnginesOneLine() throws Exception {
    ExecutorService handshakes = Executors.newSingleThreadExecutor();
    try {
      InProcessServer<CompletionStage<Done>> server = InProcessServer.startWithHandshakeExecutor(system, tls::serverEngineNeedingClientAuth, pool,
          watchedEcho(), handshakes);

      assertRefusedWithAnAlertAndOneLine(server, "TLSv1.3");
    } finally {
      handshakes.shutdownNow();
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aClientThatHangsUpWhileItsRefusedHelloIsJudgedElsewhereFailsThePlaintextSideNotEndsIt(boolean hangUpAfterTheVerdict)
      throws Exception {
    // The refusal's task runs on the test's executor; the client hangs up before the task ran, or
    // after it ran (the engine is closed by then) but before the stream resumed.
    java.util.concurrent.BlockingQueue<Runnable> held = new java.util.concurrent.LinkedBlockingQueue<>();
    java.util.concurrent.CountDownLatch judged = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch resume = new java.util.concurrent.CountDownLatch(1);
    ServerTls only13 = tls.serverTls(List.of("TLSv1.3"));
    InProcessServer<CompletionStage<Done>> server = InProcessServer.startWithHandshakeExecutor(system,
        () -> new ForwardingEngine(only13.newServerEngine(), task -> () -> {
          task.run();
          judged.countDown();
          awaitQuietly(resume);
        }), pool, watchedEcho(), held::add);
    EngineClient c = new EngineClient(tls.clientEngine(client, "TLSv1.2"));
    c.engine.beginHandshake();
    server.offer(c.wrap(ByteString.emptyByteString())); // the ClientHello
    Runnable judging = held.poll(10, TimeUnit.SECONDS);
    assertThat(judging).as("the hello's task was handed over").isNotNull();
    Thread runner = new Thread(judging);

    if (hangUpAfterTheVerdict) {
      runner.start();
      assertThat(judged.await(10, TimeUnit.SECONDS)).isTrue();
    }
    server.fromClient.complete(); // the client hangs up
    Thread.sleep(200); // let the stage see the end while the task (or its resumption) waits
    assertThat(server.app).as("not over while the engine's verdict has not reached the stream").isNotDone();
    if (!hangUpAfterTheVerdict) {
      runner.start();
    }
    resume.countDown();

    Throwable failure = failureOf(server.app);
    assertThat(failure).isInstanceOf(SSLHandshakeException.class);
    assertThat(failure.getMessage()).contains("TLSv1.2").doesNotContain("\n");
  }

  private static void awaitQuietly(java.util.concurrent.CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void plaintextSentToTheTlsPortFailsTheConnectionWithOneLine() throws Exception {
    InProcessServer<CompletionStage<Done>> server = InProcessServer.start(system, tls::serverEngine, pool, watchedEcho());
    // An MQTT CONNECT (protocol name "MQTT", level 4) sent without TLS.
    byte[] connect = {0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x04, 'd', 'e', 'v', '1'};

    server.offer(ByteString.fromArray(connect));

    Throwable failure = failureOf(server.app);
    assertThat(failure).isInstanceOf(SSLException.class);
    assertThat(failure.getMessage()).isEqualTo("Unrecognized SSL message, plaintext connection?");
    while (server.take().isPresent()) {
      // the network side ends (after an alert, if the engine made one)
    }
  }

  @Test
  void aClientOfferingOnlyAProtocolTheServerRefusesGetsAProtocolVersionAlert() throws Exception {
    ServerTls only13 = tls.serverTls(List.of("TLSv1.3"));
    InProcessServer<CompletionStage<Done>> server =
        InProcessServer.start(system, only13::newServerEngine, pool, watchedEcho());
    EngineClient c = new EngineClient(tls.clientEngine(client, "TLSv1.2"));

    assertThatThrownBy(() -> server.handshake(c, Integer.MAX_VALUE))
        .isInstanceOf(SSLHandshakeException.class).hasMessageContaining("protocol_version");

    Throwable failure = failureOf(server.app);
    assertThat(failure).isInstanceOf(SSLHandshakeException.class);
    assertThat(failure.getMessage()).contains("TLSv1.2").doesNotContain("\n");
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void whenTheApplicationCompletesItsLastBytesAndCloseNotifyGoOutAndTheNetworkSideEnds(String protocol) throws Exception {
    // Answers the first element, then completes (a refusal's CONNACK, then the close).
    Flow<ByteString, ByteString, NotUsed> app = Flow.<ByteString>create().take(1).map(b -> text("bye"));
    InProcessServer<NotUsed> server = InProcessServer.start(system, tls::serverEngine, pool, app);
    EngineClient c = new EngineClient(tls.clientEngine(client, protocol));
    server.handshake(c, Integer.MAX_VALUE);

    server.offer(c.wrap(text("hi")));

    assertThat(readToEnd(server, c).utf8String()).isEqualTo("bye");
    assertThat(c.closeNotifyReceived()).as("close_notify before the end, without waiting for the client's").isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void theClientsCloseNotifyEndsThePlaintextNormallyAndTheServerClosesToo(String protocol) throws Exception {
    InProcessServer<CompletionStage<Done>> server = InProcessServer.start(system, tls::serverEngine, pool, watchedEcho());
    EngineClient c = new EngineClient(tls.clientEngine(client, protocol));
    server.handshake(c, Integer.MAX_VALUE);

    c.engine.closeOutbound();
    server.offer(c.wrap(ByteString.emptyByteString()));

    assertThat(server.app.toCompletableFuture().get(10, TimeUnit.SECONDS)).isEqualTo(Done.getInstance());
    readToEnd(server, c);
    assertThat(c.closeNotifyReceived()).isTrue();
  }

  @Test
  void theNetworkEndingWithoutCloseNotifyEndsThePlaintextNormallyAfterTheWholeRecords() throws Exception {
    Flow<ByteString, ByteString, CompletionStage<List<ByteString>>> app =
        Flow.fromSinkAndSourceMat(Sink.seq(), Source.never(), Keep.left());
    InProcessServer<CompletionStage<List<ByteString>>> server = InProcessServer.start(system, tls::serverEngine, pool, app);
    EngineClient c = new EngineClient(tls.clientEngine(client, "TLSv1.3"));
    server.handshake(c, Integer.MAX_VALUE);
    ByteString whole = c.wrap(text("whole"));
    ByteString partial = c.wrap(text("partial")).take(10);

    server.offer(whole.concat(partial));
    server.fromClient.complete();

    List<ByteString> received = server.app.toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(received.stream().map(ByteString::utf8String).reduce("", String::concat)).isEqualTo("whole");
  }

  @Test
  void aTls13KeyUpdateRequestedByTheClientIsAnsweredAndTrafficGoesOn() throws Exception {
    InProcessServer<NotUsed> server = InProcessServer.start(system, tls::serverEngine, pool, echo());
    EngineClient c = new EngineClient(tls.clientEngine(client, "TLSv1.3"));
    server.handshake(c, Integer.MAX_VALUE);
    server.offer(c.wrap(text("before")));
    assertThat(server.read(c, 6).utf8String()).isEqualTo("before");

    c.engine.beginHandshake(); // on an established TLS 1.3 session: a KeyUpdate asking for one back
    ByteString keyUpdate = c.wrap(ByteString.emptyByteString());
    server.offer(keyUpdate.concat(c.wrap(text("after"))));

    assertThat(keyUpdate.isEmpty()).as("the JDK sent a KeyUpdate").isFalse();
    assertThat(server.read(c, 5).utf8String()).isEqualTo("after");
    server.offer(c.wrap(text("and again")));
    assertThat(server.read(c, 9).utf8String()).isEqualTo("and again");
  }

  @Test
  void aTls12RenegotiationByTheClientCompletesWithoutReportingASecondSession() throws Exception {
    List<SSLSession> sessions = new CopyOnWriteArrayList<>();
    InProcessServer<NotUsed> server = InProcessServer.start(system, tls::serverEngine, pool, echo(), sessions::add);
    EngineClient c = new EngineClient(tls.clientEngine(client, "TLSv1.2"));
    server.handshake(c, Integer.MAX_VALUE);

    server.handshake(c, Integer.MAX_VALUE); // beginHandshake again: a renegotiation
    server.offer(c.wrap(text("renegotiated")));

    assertThat(server.read(c, 12).utf8String()).isEqualTo("renegotiated");
    assertThat(sessions).hasSize(1);
  }

  @Test
  void whileTheApplicationDoesNotReadTheStageStopsReadingTheNetwork() throws Exception {
    Flow<ByteString, ByteString, SinkQueueWithCancel<ByteString>> app = Flow.fromSinkAndSourceMat(
        Sink.<ByteString>queue().withAttributes(Attributes.inputBuffer(1, 1)), Source.never(), Keep.left());
    InProcessServer<SinkQueueWithCancel<ByteString>> server = InProcessServer.start(system, tls::serverEngine, pool, app);
    EngineClient c = new EngineClient(tls.clientEngine(client, "TLSv1.3"));
    server.handshake(c, Integer.MAX_VALUE);
    List<ByteString> records = new ArrayList<>();
    ByteString expected = ByteString.emptyByteString();
    for (int i = 0; i < 50; i++) {
      ByteString plain = random(1000, 100 + i);
      records.add(c.wrap(plain));
      expected = expected.concat(plain);
    }

    // Offer records one by one until the stream stops taking them (the app reads nothing).
    OffersTaken offers = offerUntilBlocked(records.size(), i -> server.fromClient.offer(records.get(i)));
    int taken = offers.taken();
    CompletableFuture<QueueOfferResult> blocked = offers.blocked();

    // One record per place that may hold one: the source queue, the stage's input, its output, the app's buffer.
    assertThat(taken).as("records read while the application reads nothing").isLessThanOrEqualTo(4);
    assertThat(blocked).isNotNull();
    CompletableFuture<Void> rest = feedAfter(server, blocked, records.subList(taken + 1, records.size()));
    ByteString got = ByteString.emptyByteString();
    while (got.length() < expected.length()) {
      got = got.concat(server.app.pull().toCompletableFuture().get(10, TimeUnit.SECONDS).orElseThrow());
    }
    rest.get(10, TimeUnit.SECONDS);
    assertThat(got).isEqualTo(expected);
  }

  /** How many offers were taken within a second each, and the first one that was not (null if all were). */
  private record OffersTaken(int taken, CompletableFuture<QueueOfferResult> blocked) {}

  /** Makes offers 0, 1, … (at most {@code max}) one at a time until one is not taken within a second. */
  private static OffersTaken offerUntilBlocked(int max, IntFunction<CompletionStage<QueueOfferResult>> offerNumber) throws Exception {
    for (int taken = 0; taken < max; taken++) {
      CompletableFuture<QueueOfferResult> offer = offerNumber.apply(taken).toCompletableFuture();
      try {
        offer.get(1, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        return new OffersTaken(taken, offer);
      }
    }
    return new OffersTaken(max, null);
  }

  /** Offers {@code records} one after the other once {@code first} was taken. */
  private static CompletableFuture<Void> feedAfter(InProcessServer<?> server, CompletableFuture<QueueOfferResult> first,
      List<ByteString> records) {
    CompletableFuture<QueueOfferResult> chain = first;
    for (ByteString r : records) {
      chain = chain.thenCompose(x -> server.fromClient.offer(r).toCompletableFuture());
    }
    return chain.thenApply(x -> null);
  }

  @Test
  void whileTheNetworkTakesNothingTheStageStopsTakingPlaintext() throws Exception {
    Flow<ByteString, ByteString, SourceQueueWithComplete<ByteString>> app = Flow.fromSinkAndSourceMat(
        Sink.ignore(), Source.<ByteString>queue(1, OverflowStrategy.backpressure()), Keep.right());
    InProcessServer<SourceQueueWithComplete<ByteString>> server = InProcessServer.start(system, tls::serverEngine, pool, app);
    EngineClient c = new EngineClient(tls.clientEngine(client, "TLSv1.3"));
    server.handshake(c, Integer.MAX_VALUE);
    // TLS 1.3: the server's session tickets follow the handshake; read them so the network side is idle.
    server.offer(c.wrap(text("ping")));

    OffersTaken offers = offerUntilBlocked(50, i -> server.app.offer(random(1000, 200 + i)));
    int taken = offers.taken();
    CompletableFuture<QueueOfferResult> blocked = offers.blocked();

    // The source queue, the stage's one element, and the network's one-element buffer.
    assertThat(taken).as("elements taken while the network takes nothing").isLessThanOrEqualTo(4);
    assertThat(blocked).isNotNull();
    CompletableFuture<QueueOfferResult> chain = blocked;
    for (int i = taken + 1; i < 50; i++) {
      ByteString next = random(1000, 200 + i);
      chain = chain.thenCompose(x -> server.app.offer(next).toCompletableFuture());
    }
    ByteString expected = ByteString.emptyByteString();
    for (int i = 0; i < 50; i++) {
      expected = expected.concat(random(1000, 200 + i));
    }
    assertThat(server.read(c, expected.length())).isEqualTo(expected);
    chain.get(10, TimeUnit.SECONDS);
  }

  @Test
  void anEngineThatCannotBeMadeFailsTheStream() throws Exception {
    InProcessServer<CompletionStage<Done>> server = InProcessServer.start(system, () -> {
      throw new IllegalStateException("no engine today");
    }, pool, watchedEcho());

    assertThat(failureOf(server.app)).hasMessage("no engine today");
  }
}

package dev.clearway.actors.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The demo's loss check: what counts as settled, lost or duplicated, and the bound on what it follows. */
class LedgerTest {
  private final Ledger ledger = new Ledger(List.of("d0", "d1"), 8); // 4 messages per device

  @Test
  void anAcknowledgedMessageIsSettledByTheRouteOrTheHubAndLostOtherwise() {
    long dropped = ledger.reserve(0).getAsLong();
    long forwarded = ledger.reserve(0).getAsLong();
    long lost = ledger.reserve(0).getAsLong();
    ledger.acknowledged(0, dropped);
    ledger.droppedByRoute("d0", dropped);
    ledger.acknowledged(0, forwarded);
    assertThat(ledger.receivedAtHub("d0", forwarded)).isTrue();
    ledger.acknowledged(0, lost);

    assertThat(ledger.totals()).isEqualTo(new Ledger.Totals(3, 3, 0, 0, 1, 1, 1, 0));
    assertThat(ledger.allSettled()).isFalse();
  }

  @Test
  void aMessageWithoutAPubackIsNotLostButAwaitedUntilItFails() {
    long seq = ledger.reserve(1).getAsLong();
    assertThat(ledger.totals().awaitingAck()).isEqualTo(1);

    ledger.failed(1, seq);

    assertThat(ledger.totals()).isEqualTo(new Ledger.Totals(1, 0, 1, 0, 0, 0, 0, 0));
    assertThat(ledger.allSettled()).isTrue();
  }

  @Test
  void theHubReceivingAMessageTwiceIsADuplicateNotASecondMessage() {
    long seq = ledger.reserve(0).getAsLong();
    assertThat(ledger.receivedAtHub("d0", seq)).isTrue(); // before the device's PUBACK: the order is not fixed
    ledger.acknowledged(0, seq);

    assertThat(ledger.receivedAtHub("d0", seq)).isFalse();
    assertThat(ledger.totals()).isEqualTo(new Ledger.Totals(1, 1, 0, 0, 0, 1, 0, 1));
  }

  @Test
  void aDeviceWithItsShareOutstandingSendsNothingMoreUntilTheOldestSettles() {
    for (int i = 0; i < 4; i++) {
      assertThat(ledger.reserve(0)).isPresent();
    }
    assertThat(ledger.reserve(0)).isEmpty();
    assertThat(ledger.reserve(1)).isPresent(); // the other device has its own share

    ledger.acknowledged(0, 1);
    ledger.droppedByRoute("d0", 1);
    assertThat(ledger.reserve(0)).as("seq 1 settled, but seq 0 is still the oldest").isEmpty();
    ledger.acknowledged(0, 0);
    ledger.droppedByRoute("d0", 0);

    assertThat(ledger.reserve(0)).hasValue(4);
    assertThat(ledger.reserve(0)).hasValue(5);
    assertThat(ledger.totals().dropped()).isEqualTo(2);
  }

  @Test
  void messagesOfDevicesTheLedgerDoesNotKnowAreIgnored() {
    ledger.droppedByRoute("someone-else", 0);
    assertThat(ledger.receivedAtHub("someone-else", 0)).isFalse();
    assertThat(ledger.receivedAtHub("d0", 0)).as("not sent yet").isFalse();
    assertThat(ledger.totals()).isEqualTo(new Ledger.Totals(0, 0, 0, 0, 0, 0, 0, 0));
  }
}

package dev.clearway.actors;

import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.IotHubStatusCode;
import com.microsoft.azure.sdk.iot.device.exceptions.IotHubClientException;
import com.microsoft.azure.sdk.iot.device.twin.ReportedPropertiesUpdateResponse;
import com.microsoft.azure.sdk.iot.device.twin.Twin;
import com.microsoft.azure.sdk.iot.device.twin.TwinCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Azure SDK's synchronous twin calls, tried again when the SDK itself loses the answer.
 *
 * <p>iot-device-client 2.5.0 has a race (Azure/azure-iot-sdk-java issue 1803; the fix, pull request
 * 1847, is not released): {@code IotHubTransport.onMessageReceived} queues a twin response before it
 * looks up the request's callback, and the SDK's receive thread can acknowledge the queued message
 * and drop that callback first. The call then times out although the answer arrived; the SDK's
 * TRACE log shows "Message was received from IotHub" for it. Here about one call in ten lost its
 * answer on 2 busy cores. A device application retries such a timeout, and so do these tests: at
 * most {@value #ATTEMPTS} tries, each loss logged.
 */
public final class AzureSdkTwin {
  private static final Logger log = LoggerFactory.getLogger(AzureSdkTwin.class);
  private static final int ATTEMPTS = 3;
  private static final int TIMEOUT_MILLIS = 5_000;

  private AzureSdkTwin() {}

  /** A reported patch's answer, and how many tries it took (each try that reached the gateway bumps the version). */
  public record Reported(ReportedPropertiesUpdateResponse response, int attempts) {}

  public static Twin getTwin(DeviceClient client) throws InterruptedException, IotHubClientException {
    for (int attempt = 1; ; attempt++) {
      try {
        return client.getTwin(TIMEOUT_MILLIS);
      } catch (IotHubClientException e) {
        lostOrThrow(e, attempt, "getTwin");
      }
    }
  }

  public static Reported updateReportedProperties(DeviceClient client, TwinCollection patch)
      throws InterruptedException, IotHubClientException {
    for (int attempt = 1; ; attempt++) {
      try {
        return new Reported(client.updateReportedProperties(patch, TIMEOUT_MILLIS), attempt);
      } catch (IotHubClientException e) {
        lostOrThrow(e, attempt, "updateReportedProperties");
      }
    }
  }

  private static void lostOrThrow(IotHubClientException e, int attempt, String call) throws IotHubClientException {
    if (e.getStatusCode() != IotHubStatusCode.DEVICE_OPERATION_TIMED_OUT || attempt >= ATTEMPTS) {
      throw e;
    }
    log.warn("The Azure SDK lost the answer to {} (its known response race), try {} of {}", call, attempt + 1, ATTEMPTS);
  }
}

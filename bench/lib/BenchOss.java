import com.sun.net.httpserver.HttpServer;
import io.ossfuse.localoss.Counters;
import io.ossfuse.localoss.ETagMode;
import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.localoss.RemoteProfile;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The benchmark's OSS endpoint: the project's LocalOssServer (loopback, real signatures) with cheap
 * ETags, plus a loopback stats URL so the bench script can read how many object bytes the server
 * sent (the counters live in-process only). Prints one line with endpoint, keys and stats URL, then
 * serves until SIGTERM.
 *
 * Usage: java -cp "DIST/lib/*" BenchOss.java ROOT BUCKET ACCESS_KEY_ID ACCESS_KEY_SECRET [BYTES_PER_S LATENCY_MS]
 * The last two model a remote endpoint: each connection paced to BYTES_PER_S, every request answered
 * after LATENCY_MS (RemoteProfile).
 */
public final class BenchOss {
    public static void main(String[] args) throws Exception {
        LocalOssServer oss = LocalOssServer.builder()
                .root(Path.of(args[0]))
                .bucket(args[1])
                .credentials(args[2], args[3])
                .etagMode(ETagMode.FILE_IDENTITY)
                .remoteProfile(args.length >= 6
                        ? new RemoteProfile(Long.parseLong(args[4]), Duration.ofMillis(Long.parseLong(args[5])))
                        : RemoteProfile.NONE)
                .build()
                .start();
        HttpServer stats = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        stats.createContext("/stats", ex -> {
            Counters c = oss.counters();
            byte[] body = ("bytesSent " + c.bytesSent() + "\nrequests " + c.requests() + "\ngets " + c.gets()
                    + "\ngetsInFlight " + c.getsInFlight() + "\npeakGetsInFlight " + c.peakGetsInFlight() + "\nheads " + c.heads() + "\nlists " + c.lists() + "\n").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        stats.start();
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stats.stop(0);
            oss.close();
            done.countDown();
        }));
        System.out.println("endpoint=" + oss.endpoint() + " stats=http://127.0.0.1:"
                + stats.getAddress().getPort() + "/stats");
        System.out.flush();
        done.await();
    }
}

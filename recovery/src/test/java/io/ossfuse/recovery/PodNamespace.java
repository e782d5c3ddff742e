package io.ossfuse.recovery;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A mount namespace that sees bind targets the way a Kubernetes pod with {@code mountPropagation:
 * HostToContainer} sees its volumes: a private root of its own ({@code root}, a tmpfs there) with a
 * recursive bind of each target at {@code root/<index>}, made a slave of the node's mounts. Mounts
 * made on top of a target's bind on the node reach it; a new bind made after unmounting the target
 * does not. Lives as long as its {@code sleep} process; closing kills that by pid.
 */
final class PodNamespace implements AutoCloseable {
  private final Process holder;
  private final Path root;

  private PodNamespace(Process holder, Path root) {
    this.holder = holder;
    this.root = root;
  }

  static PodNamespace start(Path root, Path... volumes) throws Exception {
    Files.createDirectories(root);
    Process p =
        new ProcessBuilder("unshare", "-m", "--propagation", "slave", "sleep", "infinity")
            .redirectErrorStream(true)
            .start();
    PodNamespace ns = new PodNamespace(p, root);
    try {
      String self = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString();
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (self.equals(nsOf(p)) && System.nanoTime() < deadline) Thread.sleep(20);
      StringBuilder script =
          new StringBuilder(
              "set -e; mount -t tmpfs pod " + root + "; mount --make-private " + root);
      for (int i = 0; i < volumes.length; i++) {
        Path v = root.resolve(Integer.toString(i));
        script
            .append("; mkdir ")
            .append(v)
            .append("; mount --rbind ")
            .append(volumes[i])
            .append(' ')
            .append(v)
            .append("; mount --make-rslave ")
            .append(v);
      }
      Exec.Result r = ns.run(List.of("sh", "-c", script.toString()));
      if (!r.ok()) throw new IllegalStateException("pod namespace setup failed: " + r.describe());
      return ns;
    } catch (Exception | Error e) {
      ns.close();
      throw e;
    }
  }

  private static String nsOf(Process p) {
    try {
      return Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "ns", "mnt"))
          .toString();
    } catch (IOException notYet) {
      return "";
    }
  }

  private Exec.Result run(List<String> cmd) {
    List<String> full =
        new java.util.ArrayList<>(
            List.of("nsenter", "-t", Long.toString(holder.pid()), "-m", "--"));
    full.addAll(cmd);
    return Exec.run(full, Duration.ofSeconds(10));
  }

  /**
   * The content of {@code root/rel} as the pod reads it; an AssertionError with the error if it
   * cannot.
   */
  String read(String rel) {
    Exec.Result r = run(List.of("cat", root.resolve(rel).toString()));
    if (!r.ok())
      throw new AssertionError("the pod cannot read " + root.resolve(rel) + ": " + r.describe());
    return r.output();
  }

  @Override
  public void close() throws InterruptedException {
    holder.destroyForcibly();
    holder.waitFor(10, TimeUnit.SECONDS);
  }
}

package io.ossfuse.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ossfuse.fuse.MountInfo;
import io.ossfuse.mount.MountOptions;
import io.ossfuse.recovery.ControlClient;
import io.ossfuse.recovery.ControlRequest;
import io.ossfuse.recovery.ControlResponse;
import io.ossfuse.recovery.Daemon;
import io.ossfuse.recovery.DaemonConfig;
import io.ossfuse.recovery.MountSpec;
import io.ossfuse.recovery.MountStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ossfuse fluid}: the entrypoint of a Fluid ThinRuntime FUSE container. Reads the config
 * Fluid writes into the container, starts the daemon in this process and has it mount the Dataset's
 * OSS sources at {@code targetPath} (one FUSE mount; several sources are one directory each); then
 * serves until SIGTERM. The daemon keeps its state file (on a host path, per runtime), so the next
 * container brings the mount back by itself.
 */
@Command(
    name = "fluid",
    mixinStandardHelpOptions = true,
    description = {
      "Run as the FUSE of a Fluid ThinRuntime: read Fluid's config.json, start the daemon and mount the "
          + "Dataset's oss:// source at its targetPath (several mounts[] entries: one directory each), then serve until SIGTERM.",
      "Dataset mounts[].options: fs.oss.endpoint (required), fs.oss.region, fs.oss.signatureVersion; keys as "
          + "encryptOptions fs.oss.accessKeyId / fs.oss.accessKeySecret [/ fs.oss.securityToken] from a Secret, or none "
          + "and RRSA / the ECS RAM role from the environment. ThinRuntime spec.fuse.options: uid, gid, umask, "
          + "allow_other, metadata-ttl, negative-ttl, transport, tieredstore (the YAML, or a file in the container). Unknown "
          + "fields and options are logged once and ignored. See docs/OPERATIONS.md.",
      "Binds of targetPath under --allowed-root (Fluid's CSI binds into the pods' volume paths) are adopted and "
          + "re-bound after a restart of this container; mount that directory from the host with Bidirectional "
          + "propagation."
    })
public final class FluidCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(FluidCommand.class);

  @Spec CommandSpec spec;

  // Not --config: that one is ossfuse's own config.yaml, taken by the top command (ConfigDefaults).
  @Option(
      names = "--fluid-config",
      paramLabel = "FILE",
      description =
          "Fluid's FUSE config (default: /etc/fluid/config/config.json, else /etc/fluid/config.json).")
  Path config;

  @Option(
      names = "--run-dir",
      defaultValue = "/run/ossfuse/fluid",
      paramLabel = "DIR",
      description =
          "Where the credential directories Fluid's secrets are linked into go, 0700 (default: ${DEFAULT-VALUE}).")
  Path runDir;

  @Option(
      names = "--tieredstore",
      paramLabel = "FILE",
      description =
          "Tiered cache YAML; wins over runtime option tieredstore and a tieredstore block in the config.")
  Path tieredstore;

  @Option(
      names = "--transport",
      defaultValue = "raw",
      paramLabel = "NAME",
      description =
          "FUSE transport unless the runtime options name one (default: ${DEFAULT-VALUE}: the daemon holds "
              + "the FUSE connection, so a crash of the FUSE child is only a pause).")
  String transport;

  @Option(
      names = "--state",
      paramLabel = "FILE",
      description =
          "State file (default: /var/lib/ossfuse/fluid/$FLUID_RUNTIME_NS/$FLUID_RUNTIME_NAME/state.json; keep "
              + "/var/lib/ossfuse on a host path so a new container brings the mount back).")
  Path state;

  @Mixin DaemonProcessOptions daemon;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Path file = config != null ? config : FluidConfig.locate(FluidConfig.DEFAULT_PATHS);
    FluidPlan plan =
        FluidPlan.of(FluidConfig.load(file), runDir.toAbsolutePath(), tieredstore, transport);
    for (String w : plan.warnings()) log.warn("{}", w);
    plan.prepare();
    MountOptions o = plan.options();
    DaemonConfig dc = daemon.config(state != null ? state : defaultState(System.getenv())).build();
    Daemon d = Daemon.start(dc, System.getenv());
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    d.close();
                  } catch (Exception ignored) {
                    // exiting anyway
                  }
                },
                "shutdown"));
    try {
      String msg = mount(new ControlClient(dc.socket()), o);
      String dirs =
          o.sources().isEmpty()
              ? ""
              : "; sources "
                  + String.join(
                      ", ",
                      o.sources().stream().map(src -> src.name() + " = " + src.source()).toList());
      out.println("ossfuse fluid: " + msg + dirs + " (Fluid config " + file + ")");
      out.flush();
    } catch (RuntimeException | IOException e) {
      d.close();
      throw e;
    }
    d.awaitClose();
    return 0;
  }

  /**
   * {@code /var/lib/ossfuse/fluid/<ns>/<runtime>/state.json}: Fluid names the runtime in the
   * container's environment.
   */
  static Path defaultState(Map<String, String> env) {
    String ns = env.getOrDefault("FLUID_RUNTIME_NS", "");
    String name = env.getOrDefault("FLUID_RUNTIME_NAME", "");
    if (ns.isBlank() || name.isBlank()) return DaemonConfig.DEFAULT_STATE;
    return Path.of(
        "/var/lib/ossfuse/fluid", FluidPlan.slug(ns), FluidPlan.slug(name), "state.json");
  }

  /**
   * Has the daemon serve {@code o}: a mount it brought back from its state file with the same
   * options is kept; one with other options (the Dataset changed) and any other mount of this
   * runtime's daemon are unmounted first; a dead ossfuse mount left at the target by an earlier
   * container with a lost state file is detached.
   */
  static String mount(ControlClient client, MountOptions o) throws IOException {
    MountSpec ms =
        new MountSpec(
            o.source(),
            o.mountpoint(),
            o.transport(),
            MountSpec.DRIVER_OSSFUSE,
            new ObjectMapper().readTree(o.toJson()));
    ControlResponse st = client.send(ControlRequest.status());
    for (MountStatus m : st.mounts() == null ? List.<MountStatus>of() : st.mounts()) {
      if (!m.mountpoint().equals(ms.mountpoint())) {
        log.info("unmounting {}: not in the Fluid config any more", m.mountpoint());
        client.send(ControlRequest.umount(m.mountpoint(), true));
      }
    }
    ControlResponse r = client.send(ControlRequest.mount(ms));
    if (!r.ok() && r.error().contains("is already mounted from")) {
      log.info("the Dataset changed: mounting {} again", ms.mountpoint());
      client.send(ControlRequest.umount(ms.mountpoint(), true));
      r = client.send(ControlRequest.mount(ms));
    } else if (!r.ok()
        && r.error().contains("not managed by this daemon")
        && isOssfuse(ms.mountpointPath())) {
      log.info("detaching the dead ossfuse mount an earlier container left at {}", ms.mountpoint());
      try {
        new ProcessBuilder("umount", "-l", ms.mountpoint())
            .redirectErrorStream(true)
            .start()
            .waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      r = client.send(ControlRequest.mount(ms));
    }
    if (!r.ok()) throw new Main.UserException(r.error());
    return r.message();
  }

  private static boolean isOssfuse(Path mp) {
    try {
      return MountInfo.find(mp).map(e -> e.fsType().equals("fuse.ossfuse")).orElse(false);
    } catch (IOException e) {
      return false;
    }
  }
}

package io.ossfuse.cli;

import io.ossfuse.mount.MountException;
import java.io.PrintWriter;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;

/**
 * {@code ossfuse}: the top command. Subcommands are registered in {@link #SUBCOMMANDS}; add yours
 * there. Every user-facing error is one line on stderr and a non-zero exit, never a stack trace
 * (set OSSFUSE_DEBUG=1 to get the trace as well).
 */
@Command(
    name = "ossfuse",
    mixinStandardHelpOptions = true,
    version = "ossfuse 0.1.0",
    description = "Mount Aliyun OSS data (oss://bucket/dir) read-only over FUSE.",
    subcommandsRepeatable = false)
public final class Main implements Runnable {
  /** Exit code of a user error (bad input, unreachable endpoint, ...). */
  public static final int EXIT_ERROR = 1;

  /** Exit code of a command line picocli could not parse. */
  public static final int EXIT_USAGE = 2;

  /** The subcommands, in help order. Add new ones here. */
  static final List<Supplier<Object>> SUBCOMMANDS =
      List.of(
          MountCommand::new,
          UmountCommand::new,
          BindCommand::new,
          UnbindCommand::new,
          StatusCommand::new,
          DaemonCommand::new,
          FluidCommand::new,
          DemoCommand::new,
          LocalOssCommand::new,
          ClassArchiveCommand::new);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(
      names = {"-v", "--verbose"},
      description =
          "log at INFO level (mount, demo and local-oss also "
              + "take it after their name; the daemon always logs at INFO)")
  boolean verbose;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    configureLogging(args);
    // The JDK HTTP server behind local-oss (demo, local-oss command) writes headers and body
    // separately with Nagle on: every small response then waits ~40 ms for a delayed ACK.
    if (System.getProperty("sun.net.httpserver.nodelay") == null)
      System.setProperty("sun.net.httpserver.nodelay", "true");
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs a command line with the given streams; returns the exit code (tests call this). */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = commandLine(out, err);
    String[] rest;
    try {
      rest = ConfigDefaults.install(cl, args, System.getenv()); // flag defaults from config.yaml
    } catch (IllegalArgumentException e) {
      err.println("ossfuse: " + e.getMessage());
      err.flush();
      return EXIT_ERROR;
    }
    return cl.execute(rest);
  }

  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Main());
    for (Supplier<Object> s : SUBCOMMANDS) cl.addSubcommand(s.get());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler(executionHandler());
    cl.setParameterExceptionHandler(parameterHandler());
    return cl;
  }

  private static IExecutionExceptionHandler executionHandler() {
    return (ex, cl, parseResult) -> {
      cl.getErr().println(cl.getCommandName() + ": " + oneLine(ex));
      if (System.getenv("OSSFUSE_DEBUG") != null) ex.printStackTrace(cl.getErr());
      cl.getErr().flush();
      return EXIT_ERROR;
    };
  }

  private static IParameterExceptionHandler parameterHandler() {
    return (ex, args) -> {
      CommandLine cl = ex.getCommandLine();
      cl.getErr()
          .println(
              cl.getCommandSpec().qualifiedName()
                  + ": "
                  + firstLine(ex.getMessage())
                  + " (see "
                  + cl.getCommandSpec().qualifiedName()
                  + " --help)");
      cl.getErr().flush();
      return EXIT_USAGE;
    };
  }

  /** The message a user sees: ours as is, anything unexpected with its type. */
  static String oneLine(Throwable ex) {
    if (ex instanceof MountException
        || ex instanceof IllegalArgumentException
        || ex instanceof UserException
        || (ex instanceof java.io.IOException && ex.getMessage() != null)) {
      return firstLine(ex.getMessage());
    }
    String m = ex.getMessage();
    return "unexpected "
        + ex.getClass().getSimpleName()
        + (m == null ? "" : ": " + firstLine(m))
        + " (set OSSFUSE_DEBUG=1 for details)";
  }

  static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).strip();
  }

  /**
   * slf4j-simple reads its level once, at first use: WARN unless -v/--verbose or OSSFUSE_LOG is
   * set.
   */
  static void configureLogging(String[] args) {
    String key = "org.slf4j.simpleLogger.defaultLogLevel";
    if (System.getProperty(key) != null) return;
    String level = System.getenv("OSSFUSE_LOG");
    // The daemon logs every recovery event at INFO: that is its job, not verbosity.
    int first =
        args.length > 1 && args[0].equals("--config") ? 2 : 0; // ossfuse --config FILE daemon
    boolean daemon =
        args.length > first && (args[first].equals("daemon") || args[first].equals("fluid"));
    if (level == null)
      level =
          daemon || List.of(args).contains("-v") || List.of(args).contains("--verbose")
              ? "info"
              : "warn";
    System.setProperty(key, level);
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
    System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
  }

  /** An error to show the user as one line. */
  public static final class UserException extends RuntimeException {
    public UserException(String message) {
      super(message);
    }
  }
}

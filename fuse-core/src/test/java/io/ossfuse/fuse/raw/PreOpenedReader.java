package io.ossfuse.fuse.raw;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Drives preopened_reader.py: one O_DIRECT fd opened before the kills, verified chunk by chunk. */
final class PreOpenedReader {
  private final Process process;
  private final Path stopFile;
  private final CompletableFuture<String> whole = new CompletableFuture<>();

  private PreOpenedReader(Process process, Path stopFile) {
    this.process = process;
    this.stopFile = stopFile;
  }

  /** The expected content: the byte at an offset. */
  interface Content {
    byte at(long offset);
  }

  static PreOpenedReader start(
      Path file, Path stopFile, long size, Queue<String> failures, List<long[]> spans)
      throws Exception {
    return start(file, stopFile, size, failures, spans, PatternFileSystem::at);
  }

  static PreOpenedReader start(
      Path file,
      Path stopFile,
      long size,
      Queue<String> failures,
      List<long[]> spans,
      Content content)
      throws Exception {
    Path script = Files.createTempFile("preopened", ".py");
    try (var in = PreOpenedReader.class.getResourceAsStream("/preopened_reader.py")) {
      Files.write(script, in.readAllBytes());
    }
    Process p =
        new ProcessBuilder("python3", script.toString(), file.toString(), stopFile.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    script.toFile().deleteOnExit();
    p.getOutputStream().close();
    PreOpenedReader r = new PreOpenedReader(p, stopFile);
    BufferedReader lines =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String first = lines.readLine();
    if (first == null || !first.equals("opened " + size)) {
      p.destroyForcibly();
      throw new AssertionError("pre-opened reader did not open " + file + ": " + first);
    }
    Thread t =
        new Thread(
            () -> {
              try {
                for (String line; (line = lines.readLine()) != null; ) {
                  String[] f = line.split(" ");
                  switch (f[0]) {
                    case "chunk" -> {
                      long off = Long.parseLong(f[1]);
                      if (!f[3].equals(chunkSha(content, off, Integer.parseInt(f[2])))) {
                        failures.add("pre-opened fd: wrong bytes at " + off + ": " + line);
                      }
                      spans.add(
                          new long[] {
                            (long) (Double.parseDouble(f[4]) * 1000),
                            (long) (Double.parseDouble(f[5]) * 1000)
                          });
                    }
                    case "whole" -> r.whole.complete(f[2]);
                    default -> failures.add("pre-opened fd: " + line);
                  }
                }
              } catch (IOException e) {
                if (!r.whole.isDone()) { // after "whole", finish() closes the stream on purpose
                  failures.add("pre-opened reader: " + e);
                }
              }
              r.whole.complete("none");
            },
            "pre-opened-reader");
    t.setDaemon(true);
    t.start();
    return r;
  }

  /** Stops the random reads and returns the sha256 of the whole file read through the same fd. */
  String finish(Duration timeout) throws Exception {
    Files.createFile(stopFile);
    try {
      return whole.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } finally {
      process.destroyForcibly();
    }
  }

  static String chunkSha(Content content, long off, int n) {
    byte[] b = new byte[n];
    for (int j = 0; j < n; j++) {
      b[j] = content.at(off + j);
    }
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

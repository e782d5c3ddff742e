package io.ossfuse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The config Fluid's ThinRuntime writes into the FUSE container (ConfigMap or Secret {@code
 * <dataset>-fuse-conf}, key {@code config.json}, mounted at {@code /etc/fluid/config/}; Fluid
 * before 1.0 wrote {@code /etc/fluid/config.json}). Its shape is Fluid's {@code thin.Config}
 * (pkg/ddc/thin/type.go): {@code mounts} (Dataset {@code spec.mounts} entries: {@code mountPoint},
 * {@code name}, {@code path}, {@code options}, ...), {@code targetPath}, {@code runtimeOptions}
 * (the ThinRuntime's {@code spec.fuse.options}), {@code accessModes}, and PV fields we do not use.
 *
 * <p>Secrets: with the default ConfigMap storage Fluid turns each {@code encryptOptions} entry into
 * an option whose value is the path of the Secret's file ({@code
 * /etc/fluid/secrets/<secret>/<key>}, pkg/ddc/thin/transform_config.go); with {@code
 * THIN_FUSE_CONFIG_STORAGE=secret} the value itself. Older configs and Fluid's newer cache runtimes
 * keep {@code encryptOptions} beside {@code options}, either as Dataset-style entries ({@code
 * valueFrom.secretKeyRef}) or as a name → file map; both are read here as name → file. Nothing
 * parsed here is ever logged with its value.
 *
 * @param mounts the Dataset's mounts, in order
 * @param targetPath where the FUSE mount must appear (Fluid's CSI bind-mounts it into pods)
 * @param runtimeOptions the ThinRuntime's {@code spec.fuse.options}
 * @param accessModes the Dataset's access modes (empty: ReadOnlyMany)
 * @param tieredstore a {@code tieredstore} block beside them, if any (not written by Fluid's
 *     ThinRuntime)
 * @param ignored keys we do not know, as {@code where.key}, for one warning each
 */
record FluidConfig(
    List<Mount> mounts,
    String targetPath,
    Map<String, String> runtimeOptions,
    List<String> accessModes,
    JsonNode tieredstore,
    List<String> ignored) {

  /** Where current Fluid mounts the config, then where Fluid before 1.0 put it. */
  static final List<Path> DEFAULT_PATHS =
      List.of(Path.of("/etc/fluid/config/config.json"), Path.of("/etc/fluid/config.json"));

  /** Where Fluid mounts the Secret of an encryptOptions entry. */
  static final String SECRETS_ROOT = "/etc/fluid/secrets";

  private static final Set<String> TOP =
      Set.of(
          "mounts",
          "targetPath",
          "runtimeOptions",
          "accessModes",
          "tieredstore",
          "persistentVolumeAttrs",
          "persistentVolumeMountOptions");
  private static final Set<String> MOUNT =
      Set.of("mountPoint", "name", "path", "options", "encryptOptions", "readOnly", "shared");

  /**
   * One {@code mounts[]} entry.
   *
   * @param mountPoint e.g. {@code oss://bucket/dir}
   * @param name the entry's name
   * @param path where Fluid places it in the dataset ({@code /} = the root), or null
   * @param options plain options; secret ones may hold a file path (see the record comment)
   * @param encryptOptions secret options as name → file holding the value
   */
  record Mount(
      String mountPoint,
      String name,
      String path,
      Map<String, String> options,
      Map<String, String> encryptOptions) {
    @Override
    public String toString() {
      return "Mount["
          + mountPoint
          + ", name="
          + name
          + ", path="
          + path
          + ", options="
          + options.keySet()
          + ", encryptOptions="
          + encryptOptions.keySet()
          + "]";
    }
  }

  /**
   * Reads the first existing file of {@code candidates}; IllegalArgumentException with one line
   * otherwise.
   */
  static Path locate(List<Path> candidates) {
    for (Path p : candidates) if (Files.isRegularFile(p)) return p;
    throw new IllegalArgumentException(
        "no Fluid config at "
            + String.join(" or ", candidates.stream().map(Path::toString).toList())
            + ": run this inside a ThinRuntime FUSE container, or pass --config FILE");
  }

  static FluidConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("Fluid config " + file + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read Fluid config " + file + ": " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  static FluidConfig parse(String json, String source) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      // Only where: the text around a syntax error may be a secret (Fluid's Secret storage inlines
      // keys).
      var at = e.getLocation();
      throw new IllegalArgumentException(
          "Fluid config "
              + source
              + " is not valid JSON"
              + (at == null
                  ? ""
                  : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot parse Fluid config " + source + ": " + e.getClass().getSimpleName());
    }
    if (root == null || !root.isObject())
      throw new IllegalArgumentException("Fluid config " + source + " is not a JSON object");
    List<String> ignored = new ArrayList<>();
    unknown(root, TOP, "", ignored);
    String target = text(root, "targetPath");
    if (target == null || target.isBlank()) {
      throw new IllegalArgumentException(
          "Fluid config " + source + " has no targetPath: the FUSE mount has nowhere to go");
    }
    if (!Path.of(target).isAbsolute()) {
      throw new IllegalArgumentException(
          "Fluid config " + source + ": targetPath '" + target + "' is not an absolute path");
    }
    JsonNode ms = root.path("mounts");
    if (!ms.isArray() || ms.isEmpty()) {
      throw new IllegalArgumentException(
          "Fluid config " + source + " has no mounts[]: give the Dataset an oss:// mount");
    }
    List<Mount> mounts = new ArrayList<>();
    for (int i = 0; i < ms.size(); i++) mounts.add(mount(ms.get(i), i, source, ignored));
    List<String> modes = new ArrayList<>();
    for (JsonNode m : root.path("accessModes")) modes.add(m.asText());
    JsonNode ts = root.get("tieredstore");
    return new FluidConfig(
        List.copyOf(mounts),
        Path.of(target).normalize().toString(),
        strings(root.path("runtimeOptions"), "runtimeOptions", ignored),
        List.copyOf(modes),
        ts == null || ts.isNull() ? null : ts,
        List.copyOf(ignored));
  }

  private static Mount mount(JsonNode m, int i, String source, List<String> ignored) {
    if (!m.isObject())
      throw new IllegalArgumentException(
          "Fluid config " + source + ": mounts[" + i + "] is not an object");
    String name = text(m, "name");
    String where = "mounts[" + i + "]" + (name == null ? "" : " (" + name + ")");
    String mp = text(m, "mountPoint");
    if (mp == null || mp.isBlank())
      throw new IllegalArgumentException(
          "Fluid config " + source + ": " + where + " has no mountPoint");
    if (name == null || name.isBlank()) name = "mount" + i;
    unknown(m, MOUNT, "mounts." + name + ".", ignored);
    Map<String, String> options =
        strings(m.path("options"), "mounts." + name + ".options", ignored);
    return new Mount(
        mp.strip(),
        name,
        text(m, "path"),
        options,
        encryptOptions(m.path("encryptOptions"), where, source));
  }

  /**
   * name → secret file, from a map of paths or from Dataset-style {@code valueFrom.secretKeyRef}
   * entries.
   */
  private static Map<String, String> encryptOptions(JsonNode n, String where, String source) {
    Map<String, String> out = new LinkedHashMap<>();
    if (n.isMissingNode() || n.isNull()) return out;
    if (n.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        var e = it.next();
        out.put(e.getKey(), e.getValue().asText());
      }
      return out;
    }
    if (!n.isArray())
      throw new IllegalArgumentException(
          "Fluid config " + source + ": " + where + " encryptOptions is neither a list nor a map");
    for (JsonNode e : n) {
      JsonNode ref = e.path("valueFrom").path("secretKeyRef");
      String opt = text(e, "name");
      String secret = text(ref, "name");
      String key = text(ref, "key");
      if (opt == null || secret == null || key == null) {
        throw new IllegalArgumentException(
            "Fluid config "
                + source
                + ": "
                + where
                + " has an encryptOptions entry without name and valueFrom.secretKeyRef.{name,key}");
      }
      out.put(opt, SECRETS_ROOT + "/" + secret + "/" + key);
    }
    return out;
  }

  private static Map<String, String> strings(JsonNode n, String where, List<String> ignored) {
    Map<String, String> out = new LinkedHashMap<>();
    if (n.isMissingNode() || n.isNull()) return out;
    if (!n.isObject()) {
      ignored.add(where);
      return out;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      var e = it.next();
      out.put(
          e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());
    }
    return out;
  }

  private static void unknown(JsonNode n, Set<String> known, String prefix, List<String> ignored) {
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!known.contains(k)) ignored.add(prefix + k);
    }
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  @Override
  public String toString() {
    return "FluidConfig[mounts="
        + mounts
        + ", targetPath="
        + targetPath
        + ", runtimeOptions="
        + runtimeOptions.keySet()
        + "]";
  }
}

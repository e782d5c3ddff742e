package io.ossfuse.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Fluid {@code tieredstore:} block, parsed and checked. Levels are kept in MEM → SSD → HDD order
 * whatever the order written. Parsing is pure: directories are checked (created, writable, disk
 * size) when a {@link TieredBlockCache} is built from this config.
 *
 * <p>Accepted, per level: {@code mediumtype} (MEM|SSD|HDD), {@code path} (a comma list allowed),
 * {@code quota} (split evenly over the paths) or {@code quotaList} (one per path, comma list),
 * {@code high}, {@code low} (strings or numbers), and Fluid's {@code volumeType}/{@code
 * volumeSource} (ignored). Not Fluid, optional, beside {@code levels}: {@code blockSize} and {@code
 * promotion}.
 *
 * @param blockSize bytes per block (the last block of an object is shorter)
 * @param promotion whether a hit in a lower level moves the block up to the top level
 */
public record TieredStoreConfig(List<TierLevel> levels, int blockSize, boolean promotion) {
  public static final int DEFAULT_BLOCK_SIZE = 4 << 20;
  private static final Set<String> LEVEL_FIELDS =
      Set.of(
          "mediumtype", "path", "quota", "quotaList", "high", "low", "volumeType", "volumeSource");
  private static final Set<String> STORE_FIELDS = Set.of("levels", "blockSize", "promotion");

  public TieredStoreConfig {
    levels = levels.stream().sorted(Comparator.comparing(TierLevel::mediumType)).toList();
    if (levels.isEmpty())
      throw new CacheConfigException(
          "tieredstore: no levels; add at least one level under levels:");
    EnumSet<MediumType> seen = EnumSet.noneOf(MediumType.class);
    for (TierLevel l : levels) {
      if (!seen.add(l.mediumType())) {
        throw new CacheConfigException(
            "tieredstore: mediumtype "
                + l.mediumType()
                + " appears twice; merge them into one level with a comma list in path");
      }
    }
    if (blockSize < 4096 || blockSize > (64 << 20)) {
      throw new CacheConfigException(
          "tieredstore: blockSize " + blockSize + " is out of range; use 4Ki..64Mi (default 4Mi)");
    }
  }

  /**
   * One MEM level at {@code path} (e.g. /dev/shm/ossfuse) with watermarks 0.95/0.8: the demo
   * default.
   */
  public static TieredStoreConfig memory(java.nio.file.Path path, long quotaBytes) {
    return new TieredStoreConfig(
        List.of(new TierLevel(MediumType.MEM, List.of(path), List.of(quotaBytes), 0.95, 0.8)),
        DEFAULT_BLOCK_SIZE,
        true);
  }

  public TieredStoreConfig withBlockSize(int blockSize) {
    return new TieredStoreConfig(levels, blockSize, promotion);
  }

  public TieredStoreConfig withPromotion(boolean promotion) {
    return new TieredStoreConfig(levels, blockSize, promotion);
  }

  /** Reads a YAML file holding a {@code tieredstore:} block (or just its content). */
  public static TieredStoreConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new CacheConfigException(
          "tieredstore file "
              + file
              + " cannot be read ("
              + e.getMessage()
              + "); check the path and permissions",
          e);
    }
    return parse(text, "tieredstore file " + file);
  }

  /** Parses YAML text holding a {@code tieredstore:} block (or just its content). */
  public static TieredStoreConfig parse(String yaml) {
    return parse(yaml, "tieredstore");
  }

  private static TieredStoreConfig parse(String yaml, String source) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
    } catch (JsonProcessingException e) {
      String loc = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
      throw new CacheConfigException(
          source
              + ": not valid YAML"
              + loc
              + " ("
              + e.getOriginalMessage().lines().findFirst().orElse("")
              + "); fix the syntax",
          e);
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      throw new CacheConfigException(source + ": empty; give a tieredstore: block with levels:");
    }
    if (root.has("tieredstore")) root = root.get("tieredstore");
    if (!root.isObject() || !root.has("levels")) {
      throw new CacheConfigException(
          source
              + ": no levels: list found; write tieredstore: levels: - {mediumtype: MEM, path: ..., quota: ...}");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!STORE_FIELDS.contains(f)) {
        throw new CacheConfigException(
            "tieredstore: unknown field '" + f + "'; expected one of " + STORE_FIELDS);
      }
    }
    JsonNode levelsNode = root.get("levels");
    if (!levelsNode.isArray() || levelsNode.isEmpty()) {
      throw new CacheConfigException("tieredstore.levels: must be a non-empty list of levels");
    }
    List<TierLevel> levels = new ArrayList<>();
    for (int i = 0; i < levelsNode.size(); i++) levels.add(level(levelsNode.get(i), i));

    int blockSize = DEFAULT_BLOCK_SIZE;
    if (root.has("blockSize")) {
      long b = Sizes.parse(root.get("blockSize").asText());
      if (b < 0 || b > Integer.MAX_VALUE) {
        throw new CacheConfigException(
            "tieredstore.blockSize: \""
                + root.get("blockSize").asText()
                + "\" is not a size; use e.g. 4Mi");
      }
      blockSize = (int) b;
    }
    boolean promotion = true;
    if (root.has("promotion")) {
      String p = root.get("promotion").asText();
      if (!p.equals("true") && !p.equals("false")) {
        throw new CacheConfigException(
            "tieredstore.promotion: \"" + p + "\" is not a boolean; use true or false");
      }
      promotion = Boolean.parseBoolean(p);
    }
    return new TieredStoreConfig(levels, blockSize, promotion);
  }

  private static TierLevel level(JsonNode n, int i) {
    String where = "tieredstore.levels[" + i + "]";
    if (!n.isObject())
      throw new CacheConfigException(
          where + ": not a map; write {mediumtype: ..., path: ..., quota: ...}");
    JsonNode mt = n.get("mediumtype");
    if (mt == null || !mt.isValueNode()) {
      throw new CacheConfigException(where + ": mediumtype is missing; use MEM, SSD or HDD");
    }
    MediumType type;
    try {
      type = MediumType.valueOf(mt.asText().trim().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CacheConfigException(
          where + ": mediumtype \"" + mt.asText() + "\" is unknown; use MEM, SSD or HDD");
    }
    where = where + " (" + type + ")";
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      String f = it.next().getKey();
      if (!LEVEL_FIELDS.contains(f)) {
        throw new CacheConfigException(
            where
                + ": unknown field '"
                + f
                + "'; expected one of "
                + "mediumtype, path, quota, quotaList, high, low");
      }
    }
    String pathText =
        text(n, "path", where, "give the cache directory, e.g. path: /dev/shm/ossfuse");
    List<Path> paths = new ArrayList<>();
    for (String p : pathText.split(",")) {
      p = p.trim();
      if (p.isEmpty())
        throw new CacheConfigException(
            where + ": path \"" + pathText + "\" has an empty entry; remove the extra comma");
      if (!p.startsWith("/"))
        throw new CacheConfigException(
            where + ": path \"" + p + "\" is relative; use an absolute path");
      paths.add(Path.of(p).normalize());
    }
    List<Long> quotas = new ArrayList<>();
    if (n.hasNonNull("quotaList")) {
      String[] parts = n.get("quotaList").asText().split(",");
      if (parts.length != paths.size()) {
        throw new CacheConfigException(
            where
                + ": quotaList has "
                + parts.length
                + " entries for "
                + paths.size()
                + " paths; give one quota per path, comma-separated");
      }
      for (String q : parts) quotas.add(size(q.trim(), "quotaList entry", where));
    } else {
      long total =
          size(text(n, "quota", where, "give the level size, e.g. quota: 2Gi"), "quota", where);
      long each = total / paths.size();
      for (int p = 0; p < paths.size(); p++) quotas.add(each);
    }
    double high = ratio(n, "high", where);
    double low = ratio(n, "low", where);
    if (!(low > 0 && low <= high && high <= 1)) {
      throw new CacheConfigException(
          where
              + ": low "
              + n.get("low").asText()
              + " and high "
              + n.get("high").asText()
              + " are out of order; need 0 < low <= high <= 1");
    }
    return new TierLevel(type, paths, quotas, high, low);
  }

  private static String text(JsonNode n, String field, String where, String fix) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull() || !v.isValueNode() || v.asText().isBlank()) {
      throw new CacheConfigException(where + ": " + field + " is missing; " + fix);
    }
    return v.asText();
  }

  private static long size(String text, String field, String where) {
    long b = Sizes.parse(text);
    if (b <= 0) {
      throw new CacheConfigException(
          where
              + ": "
              + field
              + " \""
              + text
              + "\" is not a size; use bytes or a number with Ki, Mi, Gi or Ti (e.g. 2Gi)");
    }
    return b;
  }

  private static double ratio(JsonNode n, String field, String where) {
    String t = text(n, field, where, "give a ratio between 0 and 1, e.g. " + field + ": \"0.9\"");
    try {
      double d = Double.parseDouble(t.trim());
      if (d > 0 && d <= 1) return d;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new CacheConfigException(
        where
            + ": "
            + field
            + " \""
            + t
            + "\" is not a ratio; need 0 < low <= high <= 1, e.g. \"0.9\"");
  }
}

package io.ossfuse.localoss;

/**
 * Minimal XML writing: the answers are small and fixed in shape, so a builder over text suffices.
 */
final class Xml {
  private final StringBuilder sb = new StringBuilder(4096);

  Xml() {
    sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  }

  Xml open(String name) {
    sb.append('<').append(name).append('>');
    return this;
  }

  Xml close(String name) {
    sb.append("</").append(name).append(">\n");
    return this;
  }

  /** Appends {@code <name>value</name>}; a null value writes nothing. */
  Xml el(String name, Object value) {
    if (value != null) {
      sb.append('<')
          .append(name)
          .append('>')
          .append(escape(value.toString()))
          .append("</")
          .append(name)
          .append('>');
    }
    return this;
  }

  @Override
  public String toString() {
    return sb.toString();
  }

  static String escape(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder out = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String rep =
          switch (c) {
            case '<' -> "&lt;";
            case '>' -> "&gt;";
            case '&' -> "&amp;";
            case '"' -> "&quot;";
            case '\'' -> "&apos;";
            default ->
                (c < 0x20 && c != '\t' && c != '\n' && c != '\r') ? "&#" + (int) c + ";" : null;
          };
      if (rep != null) {
        if (out == null) {
          out = new StringBuilder(s.length() + 16).append(s, 0, i);
        }
        out.append(rep);
      } else if (out != null) {
        out.append(c);
      }
    }
    return out == null ? s : out.toString();
  }
}

package io.ossfuse.cache;

/**
 * Fluid's {@code mediumtype}. The declaration order is the level order: MEM above SSD above HDD.
 */
public enum MediumType {
  MEM,
  SSD,
  HDD
}

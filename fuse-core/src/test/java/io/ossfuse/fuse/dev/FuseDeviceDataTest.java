package io.ossfuse.fuse.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FuseDeviceDataTest {
  @Test
  void mountDataForTheKernel() {
    assertEquals(
        "fd=5,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions",
        FuseDevice.data(5, true));
    assertEquals(
        "fd=3,rootmode=40000,user_id=0,group_id=0,default_permissions", FuseDevice.data(3, false));
  }
}

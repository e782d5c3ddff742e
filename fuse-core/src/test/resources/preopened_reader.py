"""An application holding one O_DIRECT file descriptor across FUSE server kills.

Opens the file once, then reads random 1 MiB chunks through that fd until <stopfile> exists, and
finally reads the whole file through the same fd. Prints one line per read:
  chunk <offset> <bytes> <sha256> <start epoch s> <end epoch s>
  error <offset> <message>
  whole <bytes> <sha256>
"""
import hashlib
import mmap
import os
import random
import sys
import time

path, stop = sys.argv[1], sys.argv[2]
fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
size = os.fstat(fd).st_size
buf = mmap.mmap(-1, 1 << 20)  # page-aligned, as O_DIRECT needs
print("opened %d" % size, flush=True)
rnd = random.Random(7)
while not os.path.exists(stop):
    off = rnd.randrange(size >> 20) << 20
    t0 = time.time()
    try:
        n = os.preadv(fd, [buf], off)
        print("chunk %d %d %s %.3f %.3f" % (off, n, hashlib.sha256(buf[:n]).hexdigest(), t0, time.time()), flush=True)
    except OSError as e:
        print("error %d %s" % (off, e), flush=True)
h = hashlib.sha256()
off = 0
try:
    while True:
        n = os.preadv(fd, [buf], off)
        if n <= 0:
            break
        h.update(buf[:n])
        off += n
    print("whole %d %s" % (off, h.hexdigest()), flush=True)
except OSError as e:
    print("error %d %s" % (off, e), flush=True)

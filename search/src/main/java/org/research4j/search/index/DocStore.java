package org.research4j.search.index;

import it.unimi.dsi.fastutil.objects.Object2IntOpenHashMap;
import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.research4j.search.flashrag.Passage;

/**
 * Passage text by ordinal, memory-mapped. Kept outside Lucene because Lucene's stored fields
 * decompress a whole block to return one document, and every search returns k documents.
 *
 * <p>Layout: {@code docstore.dat} holds, per passage, a big-endian int length and the UTF-8 id,
 * then an int length and the UTF-8 contents; {@code docstore.idx} holds n + 1 big-endian longs, the
 * start of each record and the end of the last. The id-to-ordinal map is built on first use only,
 * because searching never needs it.
 */
public final class DocStore implements Closeable {
  static final String DATA_FILE = "docstore.dat";
  static final String OFFSETS_FILE = "docstore.idx";

  private static final ValueLayout.OfInt INT =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
  private static final ValueLayout.OfLong LONG =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

  private final Arena arena;
  private final MemorySegment data;
  private final MemorySegment offsets;
  private final int size;
  private volatile Object2IntOpenHashMap<String> ordinals;

  private DocStore(Arena arena, MemorySegment data, MemorySegment offsets, int size) {
    this.arena = arena;
    this.data = data;
    this.offsets = offsets;
    this.size = size;
  }

  static DocStore open(Path dir) throws IOException {
    Arena arena = Arena.ofShared();
    try {
      MemorySegment data = map(dir.resolve(DATA_FILE), arena);
      MemorySegment offsets = map(dir.resolve(OFFSETS_FILE), arena);
      if (offsets.byteSize() % 8 != 0 || offsets.byteSize() < 8) {
        throw new IOException(
            dir.resolve(OFFSETS_FILE)
                + " has "
                + offsets.byteSize()
                + " bytes, not a whole number of offsets; the index is damaged: rebuild it");
      }
      long n = offsets.byteSize() / 8 - 1;
      if (offsets.get(LONG, n * 8) != data.byteSize()) {
        throw new IOException(
            dir.resolve(DATA_FILE)
                + " is "
                + data.byteSize()
                + " bytes but its offsets end at "
                + offsets.get(LONG, n * 8)
                + "; the index is damaged: rebuild it");
      }
      return new DocStore(arena, data, offsets, Math.toIntExact(n));
    } catch (IOException | RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  private static MemorySegment map(Path file, Arena arena) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
    }
  }

  public int size() {
    return size;
  }

  public Passage get(int ordinal) {
    long at = offsets.get(LONG, (long) checkOrdinal(ordinal) * 8);
    int idLength = data.get(INT, at);
    String id = utf8(at + 4, idLength);
    long contentsAt = at + 4 + idLength;
    return new Passage(id, utf8(contentsAt + 4, data.get(INT, contentsAt)));
  }

  public String id(int ordinal) {
    long at = offsets.get(LONG, (long) checkOrdinal(ordinal) * 8);
    return utf8(at + 4, data.get(INT, at));
  }

  /** The ordinal of a passage id, or -1 if the store has no such id. */
  public int ordinal(String id) {
    Object2IntOpenHashMap<String> map = ordinals;
    if (map == null) {
      synchronized (this) {
        map = ordinals;
        if (map == null) {
          map = new Object2IntOpenHashMap<>(size);
          map.defaultReturnValue(-1);
          for (int i = 0; i < size; i++) {
            map.put(id(i), i);
          }
          ordinals = map;
        }
      }
    }
    return map.getInt(id);
  }

  private int checkOrdinal(int ordinal) {
    if (ordinal < 0 || ordinal >= size) {
      throw new IndexOutOfBoundsException(
          "passage ordinal " + ordinal + " outside [0, " + size + ")");
    }
    return ordinal;
  }

  private String utf8(long at, int length) {
    return new String(
        data.asSlice(at, length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    arena.close();
  }
}

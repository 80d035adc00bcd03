package org.research4j.search.index;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.lucene.util.IOUtils;
import org.research4j.search.flashrag.Passage;

/**
 * Appends passages to a document store in corpus order; the n-th passage added gets ordinal n. See
 * {@link DocStore} for the layout.
 */
final class DocStoreWriter implements Closeable {
  private final Path dataFile;
  private final Path offsetsFile;
  private final DataOutputStream data;
  private final DataOutputStream offsets;
  private long position;
  private int count;

  DocStoreWriter(Path dir) throws IOException {
    this.dataFile = dir.resolve(DocStore.DATA_FILE);
    this.offsetsFile = dir.resolve(DocStore.OFFSETS_FILE);
    this.data =
        new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(dataFile), 1 << 16));
    this.offsets =
        new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(offsetsFile), 1 << 16));
  }

  /** Stores a passage and returns its ordinal. */
  int add(Passage passage) throws IOException {
    byte[] id = passage.id().getBytes(StandardCharsets.UTF_8);
    byte[] contents = passage.contents().getBytes(StandardCharsets.UTF_8);
    offsets.writeLong(position);
    data.writeInt(id.length);
    data.write(id);
    data.writeInt(contents.length);
    data.write(contents);
    position += 8L + id.length + contents.length;
    return count++;
  }

  int count() {
    return count;
  }

  /** Writes the end offset and forces both files to disk, so the commit mark can follow. */
  void finish() throws IOException {
    offsets.writeLong(position);
    close();
    IOUtils.fsync(dataFile, false);
    IOUtils.fsync(offsetsFile, false);
  }

  @Override
  public void close() throws IOException {
    IOUtils.close(data, offsets);
  }
}

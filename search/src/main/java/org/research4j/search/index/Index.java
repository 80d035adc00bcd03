package org.research4j.search.index;

import it.unimi.dsi.fastutil.objects.Object2LongOpenHashMap;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.Lock;
import org.apache.lucene.store.LockObtainFailedException;
import org.apache.lucene.util.IOUtils;
import org.research4j.search.flashrag.CorpusFormat;
import org.research4j.search.flashrag.JsonlReader;
import org.research4j.search.flashrag.MalformedLineException;
import org.research4j.search.flashrag.OnMalformed;
import org.research4j.search.flashrag.Passage;

/**
 * The on-disk index: its layout, its atomic build and the check made before it is opened.
 *
 * <p>Atomicity: the build writes into a hidden sibling {@code .NAME.building-XXXX}, syncs every
 * file, writes {@code index.json} last, then renames the directory onto the target in one {@link
 * StandardCopyOption#ATOMIC_MOVE}. A build that dies leaves only the hidden directory, which the
 * next build of the same target removes once it sees that no live process holds its Lucene write
 * lock. Replacing an existing index moves the old one aside first, so the target is at every moment
 * either absent, the old index or the new one, never a mixture.
 */
public final class Index {
  static final String LUCENE_DIR = "lucene";
  static final String META_FILE = "index.json";
  static final String CONTENTS_FIELD = "contents";
  static final String ORDINAL_FIELD = "ord";

  /** Passages handed to an indexing thread at a time: amortises the queue hand-off. */
  private static final int BATCH = 256;

  /** Frequencies but no positions: bag-of-words BM25 never reads positions. */
  private static final FieldType CONTENTS_TYPE = new FieldType();

  static {
    CONTENTS_TYPE.setIndexOptions(org.apache.lucene.index.IndexOptions.DOCS_AND_FREQS);
    CONTENTS_TYPE.setTokenized(true);
    CONTENTS_TYPE.setStored(false);
    CONTENTS_TYPE.freeze();
  }

  private Index() {}

  /**
   * Builds an index of a FlashRAG corpus at {@code target}, atomically.
   *
   * @throws FileAlreadyExistsException if {@code target} exists and the options do not overwrite
   * @throws MalformedLineException for a bad corpus line or a repeated id, under {@link
   *     OnMalformed#FAIL}; nothing is left at the target
   */
  public static IndexMeta build(
      Path corpus, Path target, IndexOptions options, BuildListener listener) throws IOException {
    Path absolute = target.toAbsolutePath().normalize();
    if (!Files.isRegularFile(corpus)) {
      throw new NoSuchFileException(corpus.toString(), null, "no corpus file to index");
    }
    if (Files.exists(absolute) && !options.overwrite()) {
      throw new FileAlreadyExistsException(
          absolute.toString(),
          null,
          "an index (or something else) is already there; pass --overwrite to replace it");
    }
    Path parent = absolute.getParent();
    Files.createDirectories(parent);
    removeStaleBuilds(absolute);
    Path building = Files.createTempDirectory(parent, buildingPrefix(absolute));
    boolean published = false;
    try {
      IndexMeta meta = write(corpus, building, options, listener);
      publish(building, absolute);
      published = true;
      return meta;
    } finally {
      if (!published) {
        rmQuietly(building);
      }
    }
  }

  /**
   * Checks that {@code dir} holds a complete index and returns its metadata; a directory without
   * the commit mark is refused with the reason, never opened.
   */
  public static IndexMeta check(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(
          dir.toString(),
          null,
          "no index here; build one with: index --corpus CORPUS.jsonl --index " + dir);
    }
    Path meta = dir.resolve(META_FILE);
    if (!Files.isRegularFile(meta)) {
      throw new IncompleteIndexException(
          dir
              + " is not a complete index: it has no "
              + META_FILE
              + ", the mark a finished build writes last. It may be an interrupted build or another"
              + " directory; rebuild it with: index --corpus CORPUS.jsonl --index "
              + dir
              + " --overwrite");
    }
    return IndexMeta.read(meta);
  }

  private static String buildingPrefix(Path target) {
    return "." + target.getFileName() + ".building-";
  }

  /** Deletes hidden build directories of this target that no live build holds the lock of. */
  static void removeStaleBuilds(Path target) throws IOException {
    String prefix = buildingPrefix(target);
    List<Path> stale = new ArrayList<>();
    try (DirectoryStream<Path> siblings =
        Files.newDirectoryStream(
            target.getParent(), p -> p.getFileName().toString().startsWith(prefix))) {
      for (Path p : siblings) {
        stale.add(p);
      }
    }
    for (Path p : stale) {
      if (!isLocked(p.resolve(LUCENE_DIR))) {
        rmQuietly(p);
      }
    }
  }

  private static boolean isLocked(Path luceneDir) throws IOException {
    if (!Files.isDirectory(luceneDir)) {
      return false;
    }
    try (Directory dir = FSDirectory.open(luceneDir);
        Lock lock = dir.obtainLock(IndexWriter.WRITE_LOCK_NAME)) {
      return false;
    } catch (LockObtainFailedException held) {
      return true;
    }
  }

  private static void rmQuietly(Path dir) {
    try {
      if (Files.exists(dir)) {
        IOUtils.rm(dir);
      }
    } catch (IOException e) {
      System.err.println("warning: could not remove " + dir + ": " + e.getMessage());
    }
  }

  private static void publish(Path building, Path target) throws IOException {
    Path old = null;
    if (Files.exists(target)) {
      old = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".old-");
      Files.delete(old);
      Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
    }
    Files.move(building, target, StandardCopyOption.ATOMIC_MOVE);
    IOUtils.fsync(target.getParent(), true);
    if (old != null) {
      rmQuietly(old);
    }
  }

  private static IndexMeta write(
      Path corpus, Path dir, IndexOptions options, BuildListener listener) throws IOException {
    IndexWriterConfig config =
        new IndexWriterConfig(new PassageAnalyzer())
            .setOpenMode(IndexWriterConfig.OpenMode.CREATE)
            .setSimilarity(new BM25Similarity(options.k1(), options.b()))
            .setRAMBufferSizeMB(options.ramBufferMb())
            .setUseCompoundFile(false)
            .setCommitOnClose(false)
            .setIndexSort(new Sort(new SortField(ORDINAL_FIELD, SortField.Type.INT)));
    long skipped;
    int passages;
    try (FSDirectory luceneDir = FSDirectory.open(dir.resolve(LUCENE_DIR));
        IndexWriter writer = new IndexWriter(luceneDir, config);
        DocStoreWriter store = new DocStoreWriter(dir);
        JsonlReader<Passage> in = CorpusFormat.reader(corpus, options.onMalformed())) {
      listener.started(Files.size(corpus));
      long duplicates = feed(in, store, writer, options, listener);
      passages = store.count();
      skipped = in.skipped() + duplicates;
      if (passages == 0) {
        throw new IOException(
            corpus
                + " holds no passages"
                + (skipped > 0
                    ? " that could be read ("
                        + skipped
                        + " malformed lines skipped, first: "
                        + in.skippedExamples()
                        + ")"
                    : ""));
      }
      listener.merging();
      if (options.forceMerge()) {
        writer.forceMerge(1);
      }
      writer.commit();
      store.finish();
    }
    IndexMeta meta =
        new IndexMeta(
            IndexMeta.FORMAT,
            passages,
            options.k1(),
            options.b(),
            PassageAnalyzer.NAME,
            corpus.toString(),
            skipped);
    Path metaFile = dir.resolve(META_FILE);
    meta.write(metaFile);
    IOUtils.fsync(metaFile, false);
    IOUtils.fsync(dir, true);
    return meta;
  }

  /** Passages on their way to an indexing thread; the empty batch tells a thread to stop. */
  private record Pending(int ordinal, String contents) {}

  private static final List<Pending> STOP = List.of();

  /**
   * Reads the corpus on this thread (parsing, id checks, document store) and hands batches to
   * {@code options.threads()} indexing threads; returns the number of repeated ids skipped.
   */
  private static long feed(
      JsonlReader<Passage> in,
      DocStoreWriter store,
      IndexWriter writer,
      IndexOptions options,
      BuildListener listener)
      throws IOException {
    BlockingQueue<List<Pending>> queue = new ArrayBlockingQueue<>(4 * options.threads());
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < options.threads(); t++) {
      workers.add(
          Thread.ofPlatform()
              .name("index-" + t)
              .daemon()
              .start(() -> indexBatches(queue, writer, failure)));
    }
    Object2LongOpenHashMap<String> firstLine = new Object2LongOpenHashMap<>();
    firstLine.defaultReturnValue(-1);
    long duplicates = 0;
    List<Pending> batch = new ArrayList<>(BATCH);
    try {
      for (Passage p = in.next(); p != null; p = in.next()) {
        long first = firstLine.putIfAbsent(p.id(), in.line());
        if (first >= 0) {
          String reason = "repeated passage id \"" + p.id() + "\" (first at line " + first + ")";
          if (options.onMalformed() == OnMalformed.FAIL) {
            throw new MalformedLineException(in.file(), in.line(), reason);
          }
          duplicates++;
          continue;
        }
        batch.add(new Pending(store.add(p), p.contents()));
        if (batch.size() == BATCH) {
          hand(queue, batch, failure);
          batch = new ArrayList<>(BATCH);
          listener.read(in.bytesRead(), store.count());
        }
      }
      if (!batch.isEmpty()) {
        hand(queue, batch, failure);
      }
      listener.read(in.bytesRead(), store.count());
    } finally {
      stop(queue, workers);
    }
    Throwable t = failure.get();
    if (t != null) {
      throw new IOException("an indexing thread failed: " + t, t);
    }
    return duplicates;
  }

  /** Puts a batch on the queue; stops the read as soon as an indexing thread has failed. */
  private static void hand(
      BlockingQueue<List<Pending>> queue, List<Pending> batch, AtomicReference<Throwable> failure)
      throws IOException {
    try {
      while (!queue.offer(batch, 100, TimeUnit.MILLISECONDS)) {
        if (failure.get() != null) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while indexing", e);
    }
    Throwable t = failure.get();
    if (t != null) {
      throw new IOException("an indexing thread failed: " + t, t);
    }
  }

  /** Every indexing thread drains the queue until it takes a stop batch, so these puts finish. */
  private static void stop(BlockingQueue<List<Pending>> queue, List<Thread> workers)
      throws IOException {
    try {
      for (int t = 0; t < workers.size(); t++) {
        queue.put(STOP);
      }
      for (Thread worker : workers) {
        worker.join();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while indexing", e);
    }
  }

  /**
   * An indexing thread, with one reused Document as Lucene recommends for bulk indexing. After a
   * failure it keeps draining (without indexing) so that the reader never blocks on a full queue.
   */
  private static void indexBatches(
      BlockingQueue<List<Pending>> queue, IndexWriter writer, AtomicReference<Throwable> failure) {
    Field contents = new Field(CONTENTS_FIELD, "", CONTENTS_TYPE);
    NumericDocValuesField ordinal = new NumericDocValuesField(ORDINAL_FIELD, 0);
    Document doc = new Document();
    doc.add(contents);
    doc.add(ordinal);
    while (true) {
      List<Pending> batch;
      try {
        batch = queue.take();
      } catch (InterruptedException e) {
        failure.compareAndSet(null, e);
        return;
      }
      if (batch == STOP) {
        return;
      }
      if (failure.get() != null) {
        continue;
      }
      try {
        for (Pending p : batch) {
          ordinal.setLongValue(p.ordinal());
          contents.setStringValue(p.contents());
          writer.addDocument(doc);
        }
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
      }
    }
  }

  /** Thrown when a directory lacks the commit mark of a finished build. */
  public static final class IncompleteIndexException extends IOException {
    public IncompleteIndexException(String message) {
      super(message);
    }
  }
}

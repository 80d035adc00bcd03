package org.research4j.transformer.checkpoint;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Writing files and directories so that a crash leaves either the old version or the new one, never
 * a half-written file under the final name: write beside the target under a hidden temporary name,
 * fsync, then rename.
 */
public final class AtomicFiles {
  /**
   * Marks a directory being written; {@link Checkpoint} names leftovers when a save was
   * interrupted.
   */
  static final String TMP_MARK = ".tmp-";

  /** Marks a previous version moved aside while the new one is renamed in. */
  static final String OLD_MARK = ".old-";

  private AtomicFiles() {}

  /** A file written in one piece: temp file, fsync, atomic rename, fsync of the directory. */
  public static void writeFile(Path target, byte[] content) throws IOException {
    Path abs = target.toAbsolutePath();
    Path parent = abs.getParent();
    Files.createDirectories(parent);
    Path tmp = parent.resolve("." + abs.getFileName() + TMP_MARK + UUID.randomUUID());
    try {
      writeSynced(tmp, content);
      move(tmp, abs);
      syncDirectory(parent);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Writes and fsyncs one file (inside a directory that is renamed into place later). */
  public static void writeSynced(Path file, byte[] content) throws IOException {
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(content);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
  }

  /** A fresh hidden directory beside {@code target} to write a new version of it into. */
  static Path tempDirectoryBeside(Path target) throws IOException {
    Path abs = target.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    return Files.createDirectory(
        abs.getParent().resolve("." + abs.getFileName() + TMP_MARK + UUID.randomUUID()));
  }

  /**
   * Puts the fully written and synced directory {@code fresh} at {@code target}. With no previous
   * version that is one rename. Otherwise the old directory is renamed aside first, the new one
   * renamed in, and only then the old one deleted: at every instant {@code target} is either the
   * complete old checkpoint, absent (with both versions complete beside it), or the complete new
   * one.
   */
  static void replaceDirectory(Path fresh, Path target) throws IOException {
    Path abs = target.toAbsolutePath();
    Path parent = abs.getParent();
    syncDirectory(fresh);
    if (!Files.exists(abs)) {
      move(fresh, abs);
      syncDirectory(parent);
      return;
    }
    Path old = parent.resolve("." + abs.getFileName() + OLD_MARK + UUID.randomUUID());
    move(abs, old);
    move(fresh, abs);
    syncDirectory(parent);
    deleteRecursively(old);
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException(
          "cannot rename "
              + from
              + " to "
              + to
              + " atomically ("
              + e.getMessage()
              + "); save checkpoints on a local file system",
          e);
    }
  }

  /**
   * Makes renames and new entries of a directory durable; a no-op where directories cannot be
   * opened.
   */
  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      if (Files.isDirectory(dir) && System.getProperty("os.name", "").startsWith("Windows")) {
        return;
      }
      throw e;
    }
  }

  /** Deletes a directory tree (used for temporary and superseded checkpoint directories only). */
  static void deleteRecursively(Path p) throws IOException {
    if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
        for (Path c : ds) {
          deleteRecursively(c);
        }
      }
    }
    Files.deleteIfExists(p);
  }
}

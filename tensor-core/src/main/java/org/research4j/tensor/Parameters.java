package org.research4j.tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ordered set of uniquely named parameters: what an optimiser steps, a clipper clips and a
 * checkpoint saves. Order is insertion order, so optimiser state lines up run to run.
 */
public final class Parameters implements Iterable<Parameter>, AutoCloseable {
  private final Map<String, Parameter> byName = new LinkedHashMap<>();

  /** Adds {@code p}; names must be unique. Returns {@code p} for chaining into a field. */
  public Parameter add(Parameter p) {
    if (byName.putIfAbsent(p.name(), p) != null) {
      throw new IllegalArgumentException("a parameter named '" + p.name() + "' is already present");
    }
    return p;
  }

  /** The parameter called {@code name}; fails (listing a few names) when there is none. */
  public Parameter get(String name) {
    Parameter p = byName.get(name);
    if (p == null) {
      List<String> some = list().stream().limit(8).map(Parameter::name).toList();
      throw new IllegalArgumentException(
          "no parameter named '" + name + "' (" + byName.size() + " present, e.g. " + some + ")");
    }
    return p;
  }

  public boolean contains(String name) {
    return byName.containsKey(name);
  }

  public List<Parameter> list() {
    return Collections.unmodifiableList(new ArrayList<>(byName.values()));
  }

  public int size() {
    return byName.size();
  }

  /** Total number of scalar parameters. */
  public long count() {
    long n = 0;
    for (Parameter p : byName.values()) n += p.numel();
    return n;
  }

  public void zeroGrad() {
    for (Parameter p : byName.values()) p.zeroGrad();
  }

  @Override
  public Iterator<Parameter> iterator() {
    return list().iterator();
  }

  /** Frees every parameter's device memory. */
  @Override
  public void close() {
    for (Parameter p : byName.values()) p.close();
  }
}

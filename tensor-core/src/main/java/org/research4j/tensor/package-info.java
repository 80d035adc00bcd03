/**
 * Tensors with shapes on a device, autograd over coarse ops (each op pairs a forward kernel with
 * its backward kernel), parameters, AdamW, gradient clipping and finite-difference gradient
 * checking. Layers and models live in {@code transformer}.
 */
package org.research4j.tensor;

package io.llmsidecar.pricing;

/** A model found in the price book, under its canonical price-book name (the name metrics are labelled with). */
public record PricedModel(String name, ModelPrice price) {
}

package io.llmsidecar.pricing;

/**
 * A model found in the price book, under its canonical price-book name (the name metrics are labelled with).
 *
 * @param priceBookRevision the revision of the price table it was found in ({@link PriceBook#revision()}), for the
 *                          settlement event: which prices charged a request
 */
public record PricedModel(String name, ModelPrice price, String priceBookRevision) {
    /** A model priced outside any price book (tests, fixed prices). */
    public PricedModel(String name, ModelPrice price) {
        this(name, price, "");
    }
}

package dev.kindling.meta.metacsr;

/**
 * One sample of metaCSR's tasks (4.1.2): a short run of a user's positives, oldest first, and the item that came next.
 *
 * @param input  the run (T items)
 * @param target the (T + 1)-th item; 0 for a run that only encodes the user (ranking)
 */
public record Run(int[] input, int target) {
}

package dev.kindling.meta.serving;

import dev.kindling.meta.metacsr.CsrTasks;
import dev.kindling.meta.metacsr.MetaCsrModel;

/**
 * How a saved metaCSR model is built and adapts to each new user (written into {@code model.json}).
 *
 * @param model      the representer's and the sequence model's shape
 * @param tasks      how a user's sequence is cut into runs
 * @param innerSteps J, the adaptation's SGD steps (0: not adapted, the model trained without the meta-learner)
 * @param innerRate  alpha
 * @param negatives  sampled negatives per run in the adaptation's loss
 * @param neighbours the trained items an item added since training takes its row from (Eq. 14's nearest)
 */
public record MetaCsrServing(MetaCsrModel.Config model, CsrTasks tasks, int innerSteps, double innerRate,
                             int negatives, int neighbours) {
}

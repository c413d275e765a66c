// Does a model someone's own server runs fit the tier it would serve? Requesters pay a tier's price for that
// tier's model size: a contributor who points a 70B tier at a 3B model by mistake would sell them something
// else. An OpenAI-compatible server says only model ids, so the size is read from the id the way people
// name models ("llama3.1:8b", "Meta-Llama-3.1-8B-Instruct-4bit", "qwen2.5-72b-instruct"). This guards the
// honest contributor's mistakes; it proves nothing about a dishonest one (an id is only a name).
import type { TierSpec } from './tier-spec.ts';

/**
 * Billions of parameters named in a model id or title, or null when it names none. "8B", ":8b", "-70b-",
 * "1.5B" count; "4bit", "q4_k_m", "8x7b" (a mixture: its size is not one number) and version numbers do not.
 */
export function parameterBillions(name: string): number | null {
  const match = /(?:^|[^a-z0-9.x])(\d{1,4}(?:\.\d{1,2})?)\s?b(?![a-z0-9])/i.exec(name);
  if (match === null) return null;
  const billions = Number(match[1]);
  return billions > 0 ? billions : null;
}

/** The parameter count of the tier's model, from its catalog ids or example titles; null if none says. */
export function tierParameterBillions(tier: Pick<TierSpec, 'engineModels' | 'exampleModels'>): number | null {
  const names = [tier.engineModels.builtin?.id, tier.engineModels.exo, ...tier.exampleModels];
  for (const name of names) {
    const billions = name === undefined ? null : parameterBillions(name);
    if (billions !== null) return billions;
  }
  return null;
}

/** Sizes within this factor of each other are the same class (7B serves an 8B tier; 3B does not). */
const SAME_CLASS = 1.5;

/** Why `model` does not fit a tier of `tierBillions` parameters, or null when it fits or cannot be told. */
export function modelSizeMismatch(model: string, tierBillions: number | null): string | null {
  const billions = parameterBillions(model);
  if (billions === null || tierBillions === null) return null;
  if (billions <= tierBillions * SAME_CLASS && billions * SAME_CLASS >= tierBillions) return null;
  return `${model} has ${billions}B parameters; this tier's model has ${tierBillions}B`;
}

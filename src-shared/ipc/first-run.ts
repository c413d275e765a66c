// The first run (issue 13): the welcome asks, once, whether this computer may contribute and (desktop) start
// at login. Until it is answered the desktop app does not contribute; declined, it never does until the user
// resumes it.
import { boolean, nullable, number, object, type Infer } from './schema.ts';

export const firstRunSchema = object({
  /** False until the welcome was answered on this installation. */
  completed: boolean(),
  /** The answer: contribute this computer's share (null before the first answer). */
  contribute: nullable(boolean()),
  completedAt: nullable(number({ min: 0, max: 8.64e15, integer: true })),
});
export type FirstRun = Infer<typeof firstRunSchema>;

export const completeFirstRunInputSchema = object({
  contribute: boolean(),
  /** Ignored by a headless node (it starts with the system, not at a login). */
  startAtLogin: boolean(),
});
export type CompleteFirstRunInput = Infer<typeof completeFirstRunInputSchema>;

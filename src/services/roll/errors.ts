/**
 * The error of a roll's gate or step that says no (what and why, and what to do: a {@link ConsoleError}),
 * in a module of its own so that what throws or catches it does not load the Kubernetes client.
 */
import { ConsoleError } from '../../core/errors.js';

/** A gate or a step of a roll said no: what, why, and that the group was left as it is. */
export class RollError extends ConsoleError {}

/**
 * V8 settings for the interactive console (an environment's console, the Fleet screen), set at run
 * time once it is open, not on Node's command line: start-up and the headless `--ci` commands keep
 * V8's defaults (Node's own flags are in scripts/node-flags).
 *
 * Allocation-site pretenuring off. V8 learns that the objects allocated at a site survive its young
 * collections and then allocates that site's objects straight in the old generation, which only a
 * full collection empties. Under a burst of Terraform events the console's frames look like that
 * (Ink's output grid and styled characters live for the length of a render, across young
 * collections), so the old generation filled with dead frames: bench/screen-load measured the
 * console's peak RSS under 100,000 events at ~145–165 MB with pretenuring, ~142–145 MB without.
 * From Node's start (the flag on its command line) it cost start-up: the first full frame came
 * ~15 ms later and `--ci apply` started Terraform ~30 ms later, hence at run time, after start-up.
 */

let done = false;

/**
 * Turns allocation-site pretenuring off for the rest of the process (`v8.setFlagsFromString`; the
 * heap reads the setting at each collection). Idempotent; `node:v8` is loaded only then. Never
 * throws. V8 does not say whether it took a flag (an unknown one is ignored, with a line on
 * stderr): the effect is measured by bench/screen-load, which runs this function as the console does.
 * @returns false on a second call, or where `node:v8` cannot be had; else true (the setting was given to V8).
 */
export function tuneHeapForTheConsole(): boolean {
  if (done) return false;
  done = true;
  try {
    process.getBuiltinModule('node:v8').setFlagsFromString('--no-allocation-site-pretenuring');
    return true;
  } catch {
    return false;
  }
}

// Preload for any test run (`node --import ./packages/server/test/pmp-wire-check.ts --test ...`):
// every PMP answer of every app the run builds is compared between the handler's body and the
// wire (pmp-wire.ts); a difference is printed and fails the process.
import { watchPmpWire } from './pmp-wire.ts';

const wire = watchPmpWire();
process.on('exit', () => {
  if (wire.mismatches.length) {
    console.error(
      `PMP wire check: ${wire.mismatches.length} answer(s) changed by serialization`,
      JSON.stringify(wire.mismatches.slice(0, 5)),
    );
    process.exitCode = 1;
  } else {
    console.error(`PMP wire check: ${wire.answers.length} PMP answer(s), the wire equal to the handler's body`);
  }
});

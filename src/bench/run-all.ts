// `npm run bench`: runs every benchmark and prints its figures. Benchmarks print to stdout;
// they are not part of the server.

const benches: Array<[string, string]> = [
  ["local acoustic analyzer", "./local-bench.js"],
  ["hume condensers", "./hume-bench.js"],
  ["get_predictions at scale", "./predictions-bench.js"],
];

const only = process.argv[2];
for (const [name, modulePath] of benches) {
  if (only && !name.includes(only)) continue;
  let module: { run?: () => Promise<void> };
  try {
    module = (await import(modulePath)) as { run?: () => Promise<void> };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") continue;
    throw error;
  }
  console.log(`\n== ${name} ==`);
  await module.run?.();
}

// A local cloud in its own process, for the kill -9 test: argv[2] is the built local-cloud
// module, argv[3] the data dir. Prints {"url": ...} once listening, then serves until killed.
const [, , modulePath, dataDir] = process.argv;
const { startLocalCloud } = await import(modulePath);
const cloud = await startLocalCloud({ dataDir, port: 0 });
process.stdout.write(JSON.stringify({ url: cloud.url }) + "\n");
process.on("SIGTERM", () => {
  cloud.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});

// Stands in for an EXO runner subprocess in the hang fault: it ignores SIGTERM, so only a SIGKILL of the
// whole process group ends it. It gives up after a minute so a broken test cannot leave it behind forever.
process.on('SIGTERM', () => undefined);
process.on('SIGINT', () => undefined);
setTimeout(() => process.exit(0), 60_000);
setInterval(() => undefined, 1_000);

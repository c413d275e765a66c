// Validates electron-builder.yml against electron-builder's own schema without building anything
// (real installers need downloads and are built by .github/workflows/release.yml).
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config');
const { DebugLogger } = require('builder-util');

(async () => {
  const config = await getConfig(process.cwd(), process.argv[2] ?? 'electron-builder.yml', null);
  await validateConfiguration(config, new DebugLogger(false));
  console.log('electron-builder.yml is valid');
})().catch((error) => {
  console.error(`electron-builder.yml is invalid: ${error.message}`);
  process.exit(1);
});

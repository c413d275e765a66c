// The environment an EXO process gets (finding 27 of ref/security-findings.md): only what it needs to run and
// find its models, never the node's whole environment (tokens, keys and settings of other programs).

/** Variables EXO (Python, its runners, Hugging Face downloads) needs or honours. */
const PASSED = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'TMP',
  'TEMP',
  'SYSTEMROOT',
  'XDG_RUNTIME_DIR',
  'HF_TOKEN',
  'HF_HOME',
  'HF_ENDPOINT',
  'HF_HUB_OFFLINE',
  'EXO_OFFLINE',
  'EXO_DEFAULT_MODELS_DIR',
  'EXO_MODELS_READ_ONLY_DIRS',
  'CUDA_VISIBLE_DEVICES',
  'LD_LIBRARY_PATH',
  'DYLD_LIBRARY_PATH',
]);

/** The subset of `env` an EXO process inherits (before its own variables are set). */
export function exoBaseEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env))
    if (value !== undefined && PASSED.has(name.toUpperCase())) out[name] = value;
  return out;
}

// A llama host double that fails at once, like a host whose native library cannot load: for crash-loop tests.
process.stderr.write('host double: libllama could not be loaded\n');
process.exit(1);

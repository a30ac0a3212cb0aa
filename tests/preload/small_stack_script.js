// Run by small_stack_probe as `node small_stack_script.js ok`: exits 0 only if node got here
// with the arguments the probe passed.
process.exit(process.argv[2] === 'ok' ? 0 : 9);

// The client ITs install the Node clients into .tools/clients-node (scripts/setup.sh test), not next to these
// scripts: imports resolve from the directory the CLIENTS_NODE variable names.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export async function load(name) {
  const dir = process.env.CLIENTS_NODE;
  if (!dir) throw new Error('CLIENTS_NODE is not set');
  const require = createRequire(dir.replace(/\/?$/, '/') + 'package.json');
  return import(pathToFileURL(require.resolve(name)).href);
}

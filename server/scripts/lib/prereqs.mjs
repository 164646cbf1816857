// Prerequisite checks for setup.mjs. Each failure is ONE line naming what to install, exit 1.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { capture, fail, javaMajor } from './util.mjs';

export const MIN_NODE = 20;
// jupyter-server-proxy 4.6 (the JupyterLab side) needs 3.10; the kernel launcher alone runs on 3.9.
export const MIN_PYTHON = [3, 10];
// Spark 4 runs on Java 17 or 21.
export const MIN_JAVA = 17;

/** Where `cmd` resolves on PATH (for messages), or undefined. */
export function which(cmd) {
  if (cmd.includes('/')) return existsSync(cmd) ? cmd : undefined;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir || '.', cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function checkNode() {
  const major = parseInt(process.versions.node.split('.')[0], 10);
  if (major < MIN_NODE) {
    fail(`Node.js ${MIN_NODE} or newer is required (found ${process.versions.node} at ${process.execPath}). Install Node.js ${MIN_NODE}+ and retry.`);
  }
}

/** Returns the python command to create the venv with (python3 on PATH, or $SPARKGATE_SETUP_PYTHON). */
export function checkPython() {
  const cmd = process.env.SPARKGATE_SETUP_PYTHON || 'python3';
  const want = MIN_PYTHON.join('.');
  const install = `Install Python ${want}+ with its venv module (e.g. apt-get install python3 python3-venv) and retry.`;
  const where = which(cmd);
  if (!where) fail(`Python ${want} or newer is required (no ${cmd} on PATH). ${install}`);
  const r = capture(cmd, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])']);
  const version = r.stdout.trim();
  const [maj, min] = version.split('.').map((x) => parseInt(x, 10));
  if (r.status !== 0 || !(maj > MIN_PYTHON[0] || (maj === MIN_PYTHON[0] && min >= MIN_PYTHON[1]))) {
    fail(`Python ${want} or newer is required (found ${version ? `Python ${version}` : 'a python3 that does not run'} at ${where}). ${install}`);
  }
  // Debian's python3 ships venv without ensurepip unless python3-venv is installed.
  if (capture(cmd, ['-c', 'import venv, ensurepip']).status !== 0) {
    fail(`Python's venv module is required (Python ${version} at ${where} lacks venv/ensurepip). Install it (e.g. apt-get install python3-venv) and retry.`);
  }
  return cmd;
}

/** Checks the java pyspark will use: $JAVA_HOME/bin/java when JAVA_HOME is set, else java on PATH. */
export function checkJava() {
  const install = `Install a JDK ${MIN_JAVA}+ (e.g. apt-get install openjdk-17-jre-headless) and retry.`;
  const javaHome = process.env.JAVA_HOME;
  const cmd = javaHome ? path.join(javaHome, 'bin', 'java') : 'java';
  const where = which(cmd);
  if (!where) {
    fail(`Java ${MIN_JAVA} or newer is required (${javaHome ? `JAVA_HOME=${javaHome} has no bin/java` : 'no java on PATH'}). ${install}`);
  }
  const r = capture(cmd, ['-version']);
  const m = /version "([^"]+)"/.exec(`${r.stderr}${r.stdout}`);
  if (r.status !== 0 || !m) {
    fail(`Java ${MIN_JAVA} or newer is required (${where} -version did not report a version). ${install}`);
  }
  const major = javaMajor(m[1]);
  if (!(major >= MIN_JAVA)) {
    fail(`Java ${MIN_JAVA} or newer is required (found Java ${major} at ${where}). ${install}`);
  }
  return { cmd: where, major };
}

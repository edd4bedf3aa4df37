/**
 * Languages compiled to native code in the compile stage (issue 14): Go,
 * Fortran and Pascal from the base image, Rust, Haskell and OCaml from their
 * toolchain images. Each compile stage writes `./main`.
 */
import type { LanguageSpec } from './languages.ts';
import { ghcRtsOptions, goEnv } from './memory-models.ts';

/**
 * Go reads the standard library's compiled packages from a cache built into
 * the image (sandbox/rootfs-setup.sh): an empty cache costs ~10 s of CPU per
 * job. The cache is read-only for jobs, which Go accepts (hits still serve).
 * GOPATH and the module cache stay in the job's /tmp; no network, so no proxy.
 */
const GO_BUILD_ENV = ['GOCACHE=/usr/local/lib/runplane/gocache', 'GOPATH=/tmp/go', 'GOTOOLCHAIN=local', 'GOPROXY=off', 'GO111MODULE=off', 'GOFLAGS=-buildvcs=false'];

export const NATIVE_LANGUAGES: Record<'go' | 'rust' | 'haskell' | 'ocaml' | 'fortran' | 'pascal', LanguageSpec> = {
  go: {
    id: 'go',
    name: 'Go',
    aliases: ['golang'],
    sourceFile: 'main.go',
    compiles: /\.go$/,
    compile: (sources) => ['env', ...GO_BUILD_ENV, 'go', 'build', '-o', 'main', ...sources],
    optionsBeforeSources: true,
    run: (_entry, context) => ['env', ...goEnv(context?.memoryMb ?? 256), './main'],
    version: ['go', 'version'],
    outOfMemory: /^fatal error: runtime: out of memory/m,
  },
  rust: {
    id: 'rust',
    name: 'Rust',
    aliases: ['rs'],
    toolchain: 'rust',
    sourceFile: 'main.rs',
    compiles: /\.rs$/,
    // rustc follows `mod` declarations itself: only the crate root goes on its command line.
    compile: (sources) => ['rustc', '--edition=2021', '-O', '-o', 'main', sources[0]!],
    run: () => ['./main'],
    version: ['rustc', '--version'],
    outOfMemory: /^memory allocation of \d+ bytes failed/m,
  },
  haskell: {
    id: 'haskell',
    name: 'Haskell (GHC)',
    aliases: ['hs', 'ghc'],
    toolchain: 'haskell',
    sourceFile: 'main.hs',
    compiles: /\.hs$/,
    // The heap limit is linked in, so a program's own arguments are never read as RTS options.
    compile: (sources, context) => ['ghc', '-O', '-v0', `-with-rtsopts=${ghcRtsOptions(context?.memoryMb ?? 256)}`, '-o', 'main', ...sources],
    run: () => ['./main'],
    version: ['ghc', '--version'],
    outOfMemory: /Heap exhausted/,
  },
  ocaml: {
    id: 'ocaml',
    name: 'OCaml',
    aliases: ['ml'],
    toolchain: 'ocaml',
    sourceFile: 'main.ml',
    compiles: /\.ml$/,
    // ocamlopt wants modules in dependency order: the entry (given first here) goes last.
    compile: (sources) => ['ocamlopt', '-o', 'main', ...sources.slice(1), sources[0]!],
    run: () => ['./main'],
    version: ['sh', '-c', 'echo "OCaml $(ocamlopt -version)"'],
    outOfMemory: /Fatal error: exception Out_of_memory/,
  },
  fortran: {
    id: 'fortran',
    name: 'Fortran (gfortran)',
    aliases: ['f90', 'gfortran'],
    sourceFile: 'main.f90',
    compiles: /\.(f90|f95|f03|f08|f)$/,
    compile: (sources) => ['gfortran', '-O2', '-pipe', '-o', 'main', ...sources.slice(1), sources[0]!],
    run: () => ['./main'],
    version: ['gfortran', '--version'],
  },
  pascal: {
    id: 'pascal',
    name: 'Pascal (Free Pascal)',
    aliases: ['pas', 'fpc', 'freepascal'],
    sourceFile: 'main.pas',
    compiles: /\.pas$/,
    // fpc finds the units a program uses by itself: only the program goes on its command line.
    compile: (sources) => ['fpc', '-O2', '-v0ew', '-omain', sources[0]!],
    run: () => ['./main'],
    version: ['sh', '-c', 'echo "Free Pascal $(fpc -iV)"'],
  },
};

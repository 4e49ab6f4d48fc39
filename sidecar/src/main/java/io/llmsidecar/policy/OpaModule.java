package io.llmsidecar.policy;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryImport;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import io.llmsidecar.rego.RegoBuiltins;

import java.util.function.Function;

/**
 * One policy revision's Wasm module, parsed and compiled to JVM bytecode once and shared by every
 * {@link OpaInstance} of the revision: an instance then costs its own linear memory and a few small objects
 * (about a megabyte and a few milliseconds) instead of a parse and a compile of its own (about 12 MB and a
 * second). The bundled default policy is compiled at build time ({@code chicory-compiler-maven-plugin}); policies
 * loaded at run time are compiled here, on the loader thread, while the previous revision keeps serving.
 */
final class OpaModule {
    private final WasmModule module;
    private final Function<Instance, Machine> machines;
    private final MemoryLimits memoryLimits;

    private OpaModule(WasmModule module, Function<Instance, Machine> machines) throws PolicyLoadException {
        this.module = module;
        this.machines = machines;
        this.memoryLimits = memoryLimits(module);
    }

    /** Parses and compiles a module built by {@code opa build -t wasm}. Takes 0.5-2 s for a typical policy. */
    static OpaModule compile(byte[] wasm) throws PolicyLoadException {
        WasmModule module;
        try {
            module = Parser.parse(wasm);
        } catch (RuntimeException e) {
            throw new PolicyLoadException("the policy is not a readable Wasm module (" + e.getMessage() + ")", e);
        }
        Function<Instance, Machine> machines;
        try {
            machines = MachineFactoryCompiler.compile(module);
        } catch (RuntimeException e) {
            throw new PolicyLoadException("the policy's Wasm module cannot be compiled (" + e.getMessage() + ")", e);
        }
        return new OpaModule(module, machines);
    }

    /** A module whose bytecode was generated at build time. */
    static OpaModule precompiled(WasmModule module, Function<Instance, Machine> machines)
            throws PolicyLoadException {
        return new OpaModule(module, machines);
    }

    /** A new instance with its own memory, {@code data} loaded once; see {@link OpaInstance#create}. */
    OpaInstance instantiate(String data, RegoBuiltins builtins) throws PolicyLoadException {
        return OpaInstance.create(this, data, builtins);
    }

    WasmModule module() {
        return module;
    }

    Function<Instance, Machine> machines() {
        return machines;
    }

    MemoryLimits memoryLimits() {
        return memoryLimits;
    }

    /** The module's {@code env.memory} import, capped at {@link OpaInstance#MAX_MEMORY_PAGES}. */
    private static MemoryLimits memoryLimits(WasmModule module) throws PolicyLoadException {
        MemoryImport memory = module.importSection().stream()
                .filter(i -> i instanceof MemoryImport)
                .map(MemoryImport.class::cast)
                .filter(i -> i.module().equals("env") && i.name().equals("memory"))
                .findFirst()
                .orElseThrow(() -> new PolicyLoadException("the Wasm module imports no env.memory; it was not built "
                                                           + "by 'opa build -t wasm'"));
        int initial = memory.limits().initialPages();
        if (initial > OpaInstance.MAX_MEMORY_PAGES) {
            throw new PolicyLoadException("the policy asks for " + initial + " pages of memory, more than the "
                                          + OpaInstance.MAX_MEMORY_PAGES + " the sidecar allows");
        }
        return new MemoryLimits(initial, OpaInstance.MAX_MEMORY_PAGES);
    }
}

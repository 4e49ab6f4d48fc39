package io.llmsidecar.policy;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.rego.Builtin;
import io.llmsidecar.rego.Evaluation;
import io.llmsidecar.rego.RegoBuiltins;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One instance of a policy's Wasm module, driven through OPA's Wasm ABI (1.2 or later): the data document is
 * parsed into the module's heap once, and each evaluation writes the input just above it, calls the one-shot
 * {@code opa_eval} and resets the heap pointer, so memory does not grow from one evaluation to the next.
 *
 * <p>Imports: {@code env.memory}, {@code opa_abort}, {@code opa_println} and {@code opa_builtin0..4}, which call
 * the host builtins named in the module's {@code builtins} table. Not thread-safe: one evaluation at a time.
 *
 * @see <a href="https://www.openpolicyagent.org/docs/latest/wasm/">OPA WebAssembly</a>
 */
final class OpaInstance {
    /** Up to 256 MiB of Wasm memory: enough for a 4 MiB request many times over, bounded for a runaway policy. */
    static final int MAX_MEMORY_PAGES = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final System.Logger LOG = System.getLogger(OpaInstance.class.getName());
    private static final int JSON_FORMAT = 0;

    private final OpaModule module;
    private final FlatMemory memory;
    private final ExportFunction eval;
    private final ExportFunction heapPtrSet;
    private final WasmValues values;
    private final HostBuiltins host;
    private final Map<String, Integer> entrypoints;
    private final int dataAddress;
    private final int heapBase;

    private OpaInstance(OpaModule module, FlatMemory memory, ExportFunction eval, ExportFunction heapPtrSet, WasmValues values,
                        HostBuiltins host, Map<String, Integer> entrypoints, int dataAddress, int heapBase) {
        this.module = module;
        this.memory = memory;
        this.eval = eval;
        this.heapPtrSet = heapPtrSet;
        this.values = values;
        this.host = host;
        this.entrypoints = entrypoints;
        this.dataAddress = dataAddress;
        this.heapBase = heapBase;
    }

    static OpaInstance create(OpaModule module, String data, RegoBuiltins builtins) throws PolicyLoadException {
        FlatMemory memory = new FlatMemory(module.memoryLimits());
        HostBuiltins host = new HostBuiltins();
        Instance instance;
        try {
            instance = Instance.builder(module.module())
                    .withMachineFactory(module.machines())
                    .withImportValues(imports(memory, host))
                    .build();
        } catch (RuntimeException e) {
            throw new PolicyLoadException("the Wasm module cannot be instantiated (" + e.getMessage() + "); build "
                                          + "it with 'opa build -t wasm' (OPA Wasm ABI 1.2 or later)", e);
        }
        checkAbi(instance);
        WasmValues values = new WasmValues(instance, memory);
        host.bind(values, builtinTable(values, instance, builtins));
        Map<String, Integer> entrypoints = table(values, instance, "entrypoints");
        int dataAddress;
        try {
            dataAddress = values.parseJson(data.getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new PolicyLoadException("the policy's data document cannot be loaded: " + e.getMessage(), e);
        }
        int heapBase = (int) instance.export("opa_heap_ptr_get").apply()[0];
        return new OpaInstance(module, memory, instance.export("opa_eval"), instance.export("opa_heap_ptr_set"), values,
                               host, entrypoints, dataAddress, heapBase);
    }

    /** The entrypoint ids by name ({@code sidecar/decision}). */
    Map<String, Integer> entrypoints() {
        return entrypoints;
    }

    /**
     * Evaluates {@code entrypoint} for {@code input} (a JSON document) and returns OPA's result set as JSON, e.g.
     * {@code [{"result": {...}}]}, or {@code []} when the entrypoint is undefined.
     */
    String evaluate(int entrypoint, byte[] input, Evaluation evaluation) {
        host.startEvaluation(evaluation);
        try {
            int inputAddress = heapBase;
            ensureCapacity(inputAddress + input.length);
            memory.write(inputAddress, input);
            int result = (int) eval.apply(0, entrypoint, dataAddress, inputAddress, input.length,
                                          inputAddress + input.length, JSON_FORMAT)[0];
            return values.readCString(result);
        } finally {
            heapPtrSet.apply(heapBase);
        }
    }

    /** The compiled module this instance runs, shared with every other instance of the revision. */
    OpaModule module() {
        return module;
    }

    /** Memory pages currently allocated: the instance's footprint, for tests and the footprint notes. */
    int memoryPages() {
        return memory.pages();
    }

    /** The heap the memory takes: its pages and the room it grew ahead into. */
    int memoryBytesHeld() {
        return memory.capacity();
    }

    private void ensureCapacity(int end) {
        int needed = (int) ((end + (long) Memory.PAGE_SIZE - 1) / Memory.PAGE_SIZE) - memory.pages();
        if (needed > 0 && memory.grow(needed) < 0) {
            throw new IllegalStateException("the input does not fit the policy's memory limit of "
                                            + MAX_MEMORY_PAGES + " pages");
        }
    }

    private static ImportValues imports(Memory memory, HostBuiltins host) {
        List<ValType> none = List.of();
        List<ValType> oneI32 = List.of(ValType.I32);
        ImportValues.Builder imports = ImportValues.builder()
                .addMemory(new ImportMemory("env", "memory", memory))
                .addFunction(new HostFunction("env", "opa_abort", FunctionType.of(oneI32, none), (inst, args) -> {
                    throw new OpaAbortException(inst.memory().readCString((int) args[0]));
                }))
                .addFunction(new HostFunction("env", "opa_println", FunctionType.of(oneI32, none), (inst, args) -> {
                    LOG.log(System.Logger.Level.DEBUG, () -> "policy: " + inst.memory().readCString((int) args[0]));
                    return null;
                }));
        for (int arity = 0; arity <= 4; arity++) {
            List<ValType> params = new ArrayList<>(Collections.nCopies(arity + 2, ValType.I32));
            imports.addFunction(new HostFunction("env", "opa_builtin" + arity, FunctionType.of(params, oneI32),
                                                 (inst, args) -> new long[] {host.call(args)}));
        }
        return imports.build();
    }

    private static void checkAbi(Instance instance) throws PolicyLoadException {
        long major;
        long minor;
        try {
            major = instance.exports().global("opa_wasm_abi_version").getValue();
            minor = instance.exports().global("opa_wasm_abi_minor_version").getValue();
        } catch (RuntimeException e) {
            throw new PolicyLoadException("the Wasm module exports no OPA ABI version; build it with "
                                          + "'opa build -t wasm'", e);
        }
        if (major != 1 || minor < 2) {
            throw new PolicyLoadException("the Wasm module has OPA ABI " + major + "." + minor + "; the sidecar "
                                          + "needs 1.2 or later (opa_eval): rebuild it with a current opa");
        }
    }

    /** Builtin ids to implementations; a name the host lacks maps to {@code null} and fails when called. */
    private static HostBuiltins.Table builtinTable(WasmValues values, Instance instance, RegoBuiltins builtins)
            throws PolicyLoadException {
        Map<String, Integer> ids = table(values, instance, "builtins");
        int size = ids.values().stream().mapToInt(i -> i + 1).max().orElse(0);
        String[] names = new String[size];
        Builtin[] functions = new Builtin[size];
        ids.forEach((name, id) -> {
            names[id] = name;
            functions[id] = builtins.find(name).orElse(null);
        });
        return new HostBuiltins.Table(names, functions);
    }

    /** A JSON object of names to ids that the module exports as a function ({@code builtins}, {@code entrypoints}). */
    private static Map<String, Integer> table(WasmValues values, Instance instance, String export)
            throws PolicyLoadException {
        try {
            int address = (int) instance.export(export).apply()[0];
            JsonNode node = JSON.readTree(values.dumpJson(address));
            Map<String, Integer> table = new HashMap<>();
            node.properties().forEach(e -> table.put(e.getKey(), e.getValue().asInt()));
            return Collections.unmodifiableMap(table);
        } catch (IOException | RuntimeException e) {
            throw new PolicyLoadException("cannot read the module's " + export + " table: " + e.getMessage(), e);
        }
    }

    /** The policy called {@code opa_abort}: a runtime error inside the module (e.g. a conflict in a complete rule). */
    static final class OpaAbortException extends RuntimeException {
        OpaAbortException(String message) {
            super("the policy aborted: " + message, null, false, false);
        }
    }
}

package io.llmsidecar.policy;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.fasterxml.jackson.databind.JsonNode;
import io.llmsidecar.rego.Builtin;
import io.llmsidecar.rego.Evaluation;

/**
 * The {@code opa_builtin0..4} imports of one instance: reads the arguments from the module's heap, calls the
 * builtin the module's id names, and writes the result back. A builtin that fails answers undefined (address 0),
 * as OPA does outside strict mode; a builtin the host lacks fails the evaluation with its name.
 */
final class HostBuiltins {
    private Table table;
    private WasmValues values;
    private Evaluation evaluation = new Evaluation(0);
    /**
     * The address of an empty array already written into the heap during this evaluation, or 0. Most calls (a
     * scan of a clean prompt) answer {@code []}; writing it once per evaluation saves three calls into the module
     * per builtin call. Safe because compiled Rego never mutates a builtin's result, and the heap is only reset
     * between evaluations.
     */
    private int emptyArray;

    /** The module's builtin ids: the name and, when the host has it, the implementation. */
    record Table(String[] names, Builtin[] functions) {
    }

    void bind(WasmValues values, Table table) {
        this.values = values;
        this.table = table;
    }

    void startEvaluation(Evaluation next) {
        this.evaluation = next;
        this.emptyArray = 0;
    }

    /** {@code opa_builtinN(id, ctx, args...)}: the result value's address, 0 for undefined. */
    long call(long[] args) {
        int id = (int) args[0];
        Builtin builtin = id >= 0 && id < table.functions().length ? table.functions()[id] : null;
        if (builtin == null) {
            throw new MissingBuiltinException(id >= 0 && id < table.names().length ? table.names()[id] : "#" + id);
        }
        JsonNode result;
        try {
            JsonNode[] operands = new JsonNode[args.length - 2];
            for (int i = 0; i < operands.length; i++) {
                operands[i] = values.read((int) args[i + 2]);
            }
            result = builtin.apply(evaluation, operands);
        } catch (ChicoryInterruptedException e) {
            throw e;
        } catch (RuntimeException e) {
            return 0;
        }
        if (result == null) {
            return 0;
        }
        if (result.isArray() && result.isEmpty() && !builtin.returnsSet()) {
            if (emptyArray == 0) {
                emptyArray = values.write(result, false);
            }
            return emptyArray;
        }
        return values.write(result, builtin.returnsSet());
    }

    /** The policy called a builtin that neither the module nor the host implements. */
    static final class MissingBuiltinException extends RuntimeException {
        MissingBuiltinException(String name) {
            super("the policy called " + name + ", a builtin that the sidecar's Wasm runtime does not provide (see "
                  + "the list in policies/README.md)", null, false, false);
        }
    }
}

package io.llmsidecar.rego;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Expected outputs are what OPA's sprintf (Go's fmt) prints for the same format and Rego arguments. */
class GoSprintfTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "sprintf({0}, {1}) = {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "%v|[\"text\"]|text",
            "%v|[42]|42",
            "%v|[1.5]|1.5",
            "%v|[1.0]|1",
            "%v|[0.00002]|2e-05",
            "%v|[123456789.5]|1.234567895e+08",
            "%v|[true]|true",
            "%v|[null]|null",
            "%v|[[\"a\", 1]]|[\"a\", 1]",
            "%v|[{\"b\": 2, \"a\": \"x\"}]|{\"a\": \"x\", \"b\": 2}",
            "%s|[\"a\"]|a",
            "%s|[[1, 2]]|[1, 2]",
            "%d|[7]|7",
            "%d|[-7]|-7",
            "%5d|[42]|`   42`",
            "%-5d|[42]|`42   `",
            "%05d|[-42]|-0042",
            "%+d|[5]|+5",
            "%x|[255]|ff",
            "%X|[\"hi\"]|6869",
            "%o|[8]|10",
            "%b|[5]|101",
            "%q|[\"say \\\"hi\\\"\\n\"]|\"say \\\"hi\\\"\\n\"",
            "%.2f|[2.675]|2.67",
            "%.2f|[0.125]|0.12",
            "%.1f|[0.25]|0.2",
            "%f|[1.5]|1.500000",
            "%.3e|[1234.5678]|1.235e+03",
            "%e|[0.5]|5.000000e-01",
            "%g|[100000.5]|100000.5",
            "%g|[1000000.5]|1.0000005e+06",
            "%.3g|[3.14159]|3.14",
            "%8.3f|[3.14159]|`   3.142`",
            "%.2s|[\"hello\"]|he",
            "%d%%|[50]|50%",
            "%[2]s-%[1]s|[\"a\", \"b\"]|b-a",
            "%d|[\"x\"]|%!d(string=x)",
            "%f|[5]|%!f(int=5)",
            "%d|[1.5]|%!d(float64=1.5)",
            "%d %d|[1]|1 %!d(MISSING)",
            "%d|[1, \"x\"]|1%!(EXTRA string=x)",
            "%z|[1]|%!z(int=1)",
            "100%|[]|100%!(NOVERB)",
    })
    void formatsLikeGo(String format, String args, String expected) throws Exception {
        JsonNode values = JSON.readTree(args == null ? "[]" : args);
        assertEquals(expected, GoSprintf.format(format, values));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0.1|g|-1|0.1",
            "1e21|g|-1|1e+21",
            "123456|g|-1|123456",
            "1234567|g|-1|1.234567e+06",
            "0.0001|g|-1|0.0001",
            "0|g|-1|0",
            "0|e|2|0.00e+00",
            "0|f|2|0.00",
            "99.995|f|2|100.00",
            "1.005|f|2|1.00",
    })
    void roundsTheExactBinaryValueLikeStrconv(double value, char format, int precision, String expected) {
        assertEquals(expected, GoSprintf.goFloat(value, format, precision));
    }
}

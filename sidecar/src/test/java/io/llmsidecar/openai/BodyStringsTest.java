package io.llmsidecar.openai;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BodyStringsTest {
    private static List<String> places(ApiRequest request) {
        return request.scannedTexts().stream().map(t -> t.where() + "=" + t.text()).toList();
    }

    @Test
    void everyStringOutsideThePromptTextsIsScannedOnceWithItsPath() {
        ChatRequest chat = ChatRequest.parse("""
                {"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],
                 "tools":[{"type":"function","function":{"name":"pay","description":"charges a card",
                           "parameters":{"type":"object","properties":{"card":{"type":"string"}}}}}],
                 "prediction":{"type":"content","content":"the file"},
                 "metadata":{"note":"n1","odd key":"n2"},
                 "x_unknown":["u0",{"deep":"u1"}]}
                """.getBytes(StandardCharsets.UTF_8));

        assertEquals(List.of("messages[0].content=hi",
                             "model=gpt-4o-mini", "messages[0].role=user",
                             "tools[0].type=function", "tools[0].function.name=pay",
                             "tools[0].function.description=charges a card",
                             "tools[0].function.parameters.type=object",
                             "tools[0].function.parameters.properties.card.type=string",
                             "prediction.type=content", "prediction.content=the file",
                             "metadata.note=n1", "metadata[*]=n2",
                             "x_unknown[0]=u0", "x_unknown[1].deep=u1"),
                     places(chat), "prompt texts first, each string once, no key text in odd paths");
    }

    @Test
    void base64MediaIsNotScannedButTextThatMerelyStartsLikeItIs() {
        ChatRequest chat = ChatRequest.parse("""
                {"model":"m","messages":[{"role":"user","content":[
                  {"type":"text","text":"look"},
                  {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo/AKIAIOSFODNN7EXAMPLE/"}},
                  {"type":"input_audio","input_audio":{"data":"UklGRiQ/AKIAIOSFODNN7EXAMPLE/","format":"wav"}},
                  {"type":"file","file":{"file_data":"data:application/pdf;BASE64,JVBERi0x"}}]}],
                 "metadata":{"a":"data: not a url, AKIAIOSFODNN7EXAMPLE","b":"data:text/plain,AKIAIOSFODNN7EXAMPLE"}}
                """.getBytes(StandardCharsets.UTF_8));

        assertEquals(List.of("messages[0].content[0]=look", "model=m", "messages[0].role=user",
                             "messages[0].content[0].type=text", "messages[0].content[1].type=image_url",
                             "messages[0].content[2].type=input_audio",
                             "messages[0].content[2].input_audio.format=wav",
                             "messages[0].content[3].type=file",
                             "metadata.a=data: not a url, AKIAIOSFODNN7EXAMPLE",
                             "metadata.b=data:text/plain,AKIAIOSFODNN7EXAMPLE"),
                     places(chat));
    }

    @Test
    void theOtherApisToo() {
        ResponsesRequest responses = ResponsesRequest.parse("""
                {"model":"m","instructions":"be brief","input":"q","text":{"format":{"type":"json_schema",
                 "name":"out","schema":{"description":"secret here"}}}}
                """.getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("instructions=be brief", "input=q", "model=m", "text.format.type=json_schema",
                             "text.format.name=out", "text.format.schema.description=secret here"),
                     places(responses));

        EmbeddingsRequest embeddings = EmbeddingsRequest.parse("""
                {"model":"e","input":["a","b"],"encoding_format":"float"}
                """.getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("input[0]=a", "input[1]=b", "model=e", "encoding_format=float"), places(embeddings));
    }
}

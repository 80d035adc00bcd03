package org.research4j.grpo.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.model.StreamingResponseHandler;
import dev.langchain4j.model.catalog.ModelDescription;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiLanguageModel;
import dev.langchain4j.model.openai.OpenAiModelCatalog;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingLanguageModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.research4j.grpo.rollout.PromptTemplate;
import org.research4j.transformer.tokenizer.ChatMessage;
import org.research4j.transformer.tokenizer.ChatTemplate;

/**
 * serve-model as LangChain4j's OpenAI module (langchain4j-open-ai, its JDK HTTP client) sees it:
 * someone else's client code parses every reply. Chat, completion, both streamed, the model list
 * and the search agent must give what the model gives when run directly (greedy, token for token;
 * the agent the trace it was taught), and each refusal must reach the caller as LangChain4j's
 * exception for that status, carrying the server's message.
 */
class LangChain4jClientTest {
  private static final ChatTemplate CHAT = ChatTemplate.chatml(null);
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private static ModelServer serve(ServeFixtures.Loaded m, ServeFixtures.Passages tool)
      throws Exception {
    return ModelServer.start(
        m.model(),
        m.tokenizer(),
        Set.of(m.eos()),
        CHAT,
        PromptTemplate.bare(),
        tool,
        ServeConfig.defaults("tiny").withGeneration(12, 4));
  }

  private static OpenAiChatModel chatModel(ModelServer s, String model, int maxTokens) {
    return OpenAiChatModel.builder()
        .baseUrl(s.url() + "/v1")
        .apiKey("unused")
        .modelName(model)
        .temperature(0.0)
        .maxTokens(maxTokens)
        .maxRetries(0)
        .timeout(TIMEOUT)
        .build();
  }

  private static OpenAiStreamingChatModel streamingChatModel(
      ModelServer s, String model, int maxTokens) {
    return OpenAiStreamingChatModel.builder()
        .baseUrl(s.url() + "/v1")
        .apiKey("unused")
        .modelName(model)
        .temperature(0.0)
        .maxTokens(maxTokens)
        .timeout(TIMEOUT)
        .build();
  }

  /** What a streaming handler saw: the pieces, then the whole response or the error. */
  private static final class Collected implements StreamingChatResponseHandler {
    final List<String> pieces = Collections.synchronizedList(new ArrayList<>());
    final CompletableFuture<ChatResponse> done = new CompletableFuture<>();

    @Override
    public void onPartialResponse(String piece) {
      pieces.add(piece);
    }

    @Override
    public void onCompleteResponse(ChatResponse r) {
      done.complete(r);
    }

    @Override
    public void onError(Throwable t) {
      done.completeExceptionally(t);
    }
  }

  @Test
  void chatAndCompletionGiveTheModelsGreedyText() throws Exception {
    ServeFixtures.Loaded m = ServeFixtures.random();
    try (ModelServer s = serve(m, null)) {
      String question = "Who founded Kesto?";
      String want =
          ServeFixtures.greedy(m, CHAT.render(List.of(ChatMessage.user(question)), true), 10);
      ChatResponse r =
          chatModel(s, "tiny", 10)
              .chat(
                  ChatRequest.builder()
                      .messages(dev.langchain4j.data.message.UserMessage.from(question))
                      .build());
      assertEquals(want, r.aiMessage().text());
      assertEquals(FinishReason.LENGTH, r.finishReason());
      assertEquals(10, r.tokenUsage().outputTokenCount());
      assertEquals(
          m.tokenizer().encode(CHAT.render(List.of(ChatMessage.user(question)), true)).length,
          r.tokenUsage().inputTokenCount());
      assertEquals("tiny", r.modelName());

      // a system message goes through the chat template too
      String withSystem =
          ServeFixtures.greedy(
              m,
              CHAT.render(
                  List.of(ChatMessage.system("Be brief."), ChatMessage.user(question)), true),
              10);
      assertEquals(
          withSystem,
          chatModel(s, "tiny", 10)
              .chat(
                  ChatRequest.builder()
                      .messages(
                          dev.langchain4j.data.message.SystemMessage.from("Be brief."),
                          dev.langchain4j.data.message.UserMessage.from(question))
                      .build())
              .aiMessage()
              .text());

      // completion: the prompt as it is; LangChain4j sends no max_tokens, so the server's default
      // (12)
      String raw = "Oru is a country";
      Response<String> c =
          OpenAiLanguageModel.builder()
              .baseUrl(s.url() + "/v1")
              .apiKey("unused")
              .modelName("tiny")
              .temperature(0.0)
              .maxRetries(0)
              .timeout(TIMEOUT)
              .build()
              .generate(raw);
      assertEquals(ServeFixtures.greedy(m, raw, 12), c.content());
      assertEquals(12, c.tokenUsage().outputTokenCount());

      List<ModelDescription> models =
          OpenAiModelCatalog.builder()
              .baseUrl(s.url() + "/v1")
              .apiKey("unused")
              .build()
              .listModels();
      assertEquals(List.of("tiny"), models.stream().map(ModelDescription::name).toList());
    }
  }

  @Test
  void streamsAddUpToTheWholeReply() throws Exception {
    ServeFixtures.Loaded m = ServeFixtures.random();
    try (ModelServer s = serve(m, null)) {
      String question = "Where is Oru?";
      String want =
          ServeFixtures.greedy(m, CHAT.render(List.of(ChatMessage.user(question)), true), 16);
      Collected h = new Collected();
      streamingChatModel(s, "tiny", 16).chat(question, h);
      ChatResponse r = h.done.get(60, TimeUnit.SECONDS);
      assertEquals(want, String.join("", h.pieces));
      assertTrue(h.pieces.size() > 1, "streamed in pieces: " + h.pieces);
      assertEquals(want, r.aiMessage().text());
      assertEquals(FinishReason.LENGTH, r.finishReason());

      String raw = "Kesto is a city";
      List<String> pieces = Collections.synchronizedList(new ArrayList<>());
      CompletableFuture<Response<String>> done = new CompletableFuture<>();
      OpenAiStreamingLanguageModel.builder()
          .baseUrl(s.url() + "/v1")
          .apiKey("unused")
          .modelName("tiny")
          .temperature(0.0)
          .timeout(TIMEOUT)
          .build()
          .generate(
              raw,
              new StreamingResponseHandler<>() {
                @Override
                public void onNext(String token) {
                  pieces.add(token);
                }

                @Override
                public void onComplete(Response<String> response) {
                  done.complete(response);
                }

                @Override
                public void onError(Throwable error) {
                  done.completeExceptionally(error);
                }
              });
      Response<String> c = done.get(60, TimeUnit.SECONDS);
      assertEquals(ServeFixtures.greedy(m, raw, 12), String.join("", pieces));
      assertEquals(String.join("", pieces), c.content());
    }
  }

  @Test
  void theAgentModelAnswersWithItsWholeTrace() throws Exception {
    ServeFixtures.Loaded m = ServeFixtures.taught();
    ServeFixtures.Passages tool = new ServeFixtures.Passages();
    try (ModelServer s = serve(m, tool)) {
      ChatResponse r =
          chatModel(s, "tiny-agent", 100)
              .chat(
                  ChatRequest.builder()
                      .messages(
                          dev.langchain4j.data.message.UserMessage.from(ServeFixtures.QUESTION))
                      .build());
      assertEquals(ServeFixtures.TRACE, r.aiMessage().text());
      assertEquals(FinishReason.STOP, r.finishReason());
      assertEquals(List.of("Kesto"), tool.calls);

      Collected h = new Collected();
      streamingChatModel(s, "tiny-agent", 100).chat(ServeFixtures.QUESTION, h);
      assertEquals(ServeFixtures.TRACE, h.done.get(60, TimeUnit.SECONDS).aiMessage().text());
      assertEquals(ServeFixtures.TRACE, String.join("", h.pieces));
    }
  }

  @Test
  void refusalsArriveAsLangChain4jExceptionsWithTheServersMessage() throws Exception {
    ServeFixtures.Loaded m = ServeFixtures.random();
    try (ModelServer s = serve(m, null)) {
      ModelNotFoundException unknown =
          assertThrows(
              ModelNotFoundException.class,
              () -> chatModel(s, "gpt-4o", 8).chat("Who founded Kesto?"));
      assertTrue(
          unknown.getMessage().contains("The model `gpt-4o` does not exist"), unknown.getMessage());
      assertTrue(unknown.getMessage().contains("model_not_found"), unknown.getMessage());

      ModelNotFoundException unknownCompletion =
          assertThrows(
              ModelNotFoundException.class,
              () ->
                  OpenAiLanguageModel.builder()
                      .baseUrl(s.url() + "/v1")
                      .apiKey("unused")
                      .modelName("davinci")
                      .maxRetries(0)
                      .timeout(TIMEOUT)
                      .build()
                      .generate("Oru"));
      assertTrue(
          unknownCompletion.getMessage().contains("The model `davinci` does not exist"),
          unknownCompletion.getMessage());

      // no agent without a search tool: the -agent name is unknown here
      assertThrows(
          ModelNotFoundException.class,
          () -> chatModel(s, "tiny-agent", 8).chat("Who founded Kesto?"));

      InvalidRequestException overflow =
          assertThrows(
              InvalidRequestException.class,
              () -> chatModel(s, "tiny", 100_000).chat("Who founded Kesto?"));
      assertTrue(overflow.getMessage().contains("context_length_exceeded"), overflow.getMessage());
      assertTrue(
          overflow.getMessage().contains("maximum context length is " + s.contextLength()),
          overflow.getMessage());

      InvalidRequestException badTopP =
          assertThrows(
              InvalidRequestException.class,
              () ->
                  OpenAiChatModel.builder()
                      .baseUrl(s.url() + "/v1")
                      .apiKey("unused")
                      .modelName("tiny")
                      .topP(3.0)
                      .maxRetries(0)
                      .timeout(TIMEOUT)
                      .build()
                      .chat("Who founded Kesto?"));
      assertTrue(badTopP.getMessage().contains("top_p"), badTopP.getMessage());

      Collected h = new Collected();
      streamingChatModel(s, "gpt-4o", 8).chat("Who founded Kesto?", h);
      Exception streamed = assertThrows(Exception.class, () -> h.done.get(60, TimeUnit.SECONDS));
      ModelNotFoundException cause =
          assertInstanceOf(ModelNotFoundException.class, streamed.getCause());
      assertTrue(
          cause.getMessage().contains("The model `gpt-4o` does not exist"), cause.getMessage());
      assertEquals(List.of(), h.pieces);
    }
  }
}

# The entrypoint the sidecar evaluates for every chat completion: sidecar/decision (data.sidecar.decision).
# Every other file in this package adds reasons to `deny` or fields to `patch`; see README.md for the contract.
package sidecar

decision := {
	"allow": count(deny) == 0,
	"reasons": deny,
	"patch": patch,
}

# Every piece of text the caller sends: string contents, then the text parts of multi-part
# contents, then the arguments of tool calls (which echo earlier prompts). An array, not a set: adding a long
# string to a set hashes it, which costs more than the checks that read it.
prompt_texts := array.concat(
	array.concat(
		[message.content |
			some message in input.request.messages
			is_string(message.content)
		],
		[part.text |
			some message in input.request.messages
			is_array(message.content)
			some part in message.content
			is_string(part.text)
		],
	),
	[call.function.arguments |
		some message in input.request.messages
		some call in message.tool_calls
		is_string(call.function.arguments)
	],
)

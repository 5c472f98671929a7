"""Run by the Python 3.12 venv that holds nemo-gym: build ``/verify`` requests with nemo-gym's
own models, send them to the server at ``argv[1]``, validate each answer with
``BaseVerifyResponse`` and print one JSON line per rollout for the test to check.

``argv[2] == "math"``: nemo-gym's shipped ``math_with_judge`` example rollouts (real gpt-5
responses with their reasoning items), plus variants built from them with nemo-gym's output
models: the right and a wrong answer, a ``<think>`` tag left in the text, no text.
``argv[2] == "code"``: ``code_gen``'s example tasks (``verifier_metadata.unit_tests``) joined
with its example rollouts' responses, each with the reward code_gen gave it.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import nemo_gym
from nemo_gym.base_resources_server import BaseVerifyRequest, BaseVerifyResponse
from nemo_gym.openai_utils import (
    NeMoGymResponse,
    NeMoGymResponseOutputMessage,
    NeMoGymResponseOutputText,
)
from pydantic import ConfigDict

SERVERS = Path(nemo_gym.PARENT_DIR) / "resources_servers"
EXAMPLES = SERVERS / "math_with_judge/data"
VERIFY_ONLY = ("reward", "extracted_answer", "library_reward", "judge_evaluations")


class TaskVerifyRequest(BaseVerifyRequest):
    """A resources server's request: the base fields plus the task row's own."""

    model_config = ConfigDict(extra="allow")


def with_text(response: NeMoGymResponse, text: str) -> NeMoGymResponse:
    message = NeMoGymResponseOutputMessage(
        id="msg_test", content=[NeMoGymResponseOutputText(annotations=[], text=text)]
    )
    kept = [item for item in response.output if item.type != "message"]
    return response.model_copy(update={"output": [*kept, message]})


def post(url: str, request: TaskVerifyRequest) -> dict:
    data = json.dumps(request.model_dump(mode="json")).encode()
    http = urllib.request.Request(
        url + "/verify", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(http, timeout=120) as answer:
        return json.loads(answer.read())


def code_cases() -> list[tuple[str, TaskVerifyRequest, float]]:
    data = SERVERS / "code_gen/data"
    tasks = [json.loads(line) for line in (data / "example.jsonl").open()]
    rollouts = [json.loads(line) for line in (data / "example_rollouts.jsonl").open()]
    cases = []
    for number, task in enumerate(tasks):
        prompt = task["responses_create_params"]["input"][0]["content"]
        [rollout] = [
            r for r in rollouts if r["responses_create_params"]["input"][0]["content"] == prompt
        ]
        request = TaskVerifyRequest.model_validate({**task, "response": rollout["response"]})
        cases.append((f"code{number}", request, rollout["reward"]))
    return cases


def math_cases() -> list[tuple[str, TaskVerifyRequest, float]]:
    cases = []
    for number, line in enumerate((EXAMPLES / "example_rollouts.jsonl").open()):
        rollout = json.loads(line)
        recorded = rollout["reward"]
        row = {k: v for k, v in rollout.items() if k not in VERIFY_ONLY}
        request = TaskVerifyRequest.model_validate(row)
        cases.append((f"example{number}", request, recorded))
        if number == 2:  # expected answer 32: rebuild the message with nemo-gym's models
            response = request.response
            for name, text, reward in (
                ("right", "So there are $\\boxed{32}$ such numbers.", 1.0),
                ("wrong", "So there are $\\boxed{31}$ such numbers.", 0.0),
                ("think_in_text", "<think>maybe \\boxed{32}</think> I give up.", 0.0),
                ("empty", "", 0.0),
            ):
                variant = request.model_copy(update={"response": with_text(response, text)})
                cases.append((name, variant, reward))
    return cases


def main() -> None:
    url = sys.argv[1]
    cases = code_cases() if sys.argv[2] == "code" else math_cases()
    for name, request, expected in cases:
        answer = post(url, request)
        validated = BaseVerifyResponse.model_validate(answer)
        echoed = validated.responses_create_params == request.responses_create_params
        print(
            json.dumps(
                {
                    "case": name,
                    "reward": validated.reward,
                    "expected": expected,
                    "echoed": echoed and validated.response == request.response,
                    "task_fields": all(
                        answer.get(k) == v for k, v in (request.model_extra or {}).items()
                    ),
                    "extracted": answer.get("extracted_answer"),
                    "error": answer.get("error"),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()

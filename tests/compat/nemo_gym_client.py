"""Run by the Python 3.12 venv that holds nemo-gym: build ``/verify`` requests with nemo-gym's
own models, send them to the server at ``argv[1]``, validate each answer with
``BaseVerifyResponse`` and print one JSON line per rollout for the test to check.

The rollouts are nemo-gym's shipped examples (``math_with_judge/data/example_rollouts.jsonl``:
real gpt-5 responses with their reasoning items), plus variants built from them with
nemo-gym's output models: the right and a wrong answer, and a ``<think>`` tag left in the text.
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

EXAMPLES = Path(nemo_gym.PARENT_DIR) / "resources_servers/math_with_judge/data"
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


def main() -> None:
    url = sys.argv[1]
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
                    "task_fields": answer.get("expected_answer") == request.expected_answer,
                    "extracted": answer.get("extracted_answer"),
                    "error": answer.get("error"),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()

"""What a user would write with the OpenAI Python SDK: one request, then each URL saved in turn.
Needs AISA_BASE_URL, AISA_API_KEY and OUT (the folder for the images)."""
import os
import urllib.request

from openai import OpenAI

client = OpenAI(base_url=os.environ["AISA_BASE_URL"], api_key=os.environ["AISA_API_KEY"])
answer = client.chat.completions.create(
    model="wan2.7-image",
    n=4,
    messages=[{"role": "user", "content": [{"type": "text", "text": "red panda"}]}],
)
for i, choice in enumerate(answer.choices, 1):
    for part in choice.message.content:
        urllib.request.urlretrieve(part["image"], os.path.join(os.environ["OUT"], f"red-panda-{i}.png"))

"""Generate a large, varied batch of synthetic calls for benchmarks (not for accuracy).

Each utterance is put together from fragments of English, Malay or Tagalog (or a mix), with
fillers, names, amounts, dates and reference numbers drawn at random, so texts are almost
never repeated and caches are not flattered. Calls have about ``--turns`` turns, timestamps,
an agent, a team and a date.

    python benchmarks/generate.py --calls 10000 --out benchmarks/data/calls_10k.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

AGENT = {
    "en": ["thank you for calling {co} this is {agent} how can i help", "i'm so sorry about that {name}",
           "let me check that for you", "i understand how frustrating this must be", "just to confirm the charge was {amt}",
           "you'll get an sms within {n} hours", "i've logged this under ticket {ref}", "is there anything else i can help with",
           "i don't know", "as i already told you that's the policy", "there's nothing i can do", "may i put you on hold for a minute",
           "i'll transfer you to our billing team", "thanks for your patience", "can you give me your account number please",
           "okay {name} i see the payment on {date}", "we apologise for the delay", "the technician will come on {date}",
           "i guarantee it arrives tomorrow", "since you travel a lot the roaming add-on may suit you"],
    "ms": ["terima kasih kerana menghubungi {co} saya {agent} ada apa yang boleh saya bantu", "saya mohon maaf atas kesulitan encik",
           "sekejap ye saya semak dulu", "saya faham perasaan puan", "maksud encik bil tu kena caj dua kali ke",
           "encik akan terima sms dalam masa {n} jam", "saya dah catat dalam akaun encik tiket {ref}", "ada apa-apa lagi yang boleh saya bantu",
           "saya tak tahu", "bukan salah kami encik yang tak baca", "tak boleh itu polisi", "boleh saya letak encik dalam talian sekejap",
           "saya pindahkan ke bahagian bil ye", "terima kasih kerana menunggu", "boleh bagi nombor akaun encik",
           "baik {name} bayaran {amt} dah masuk pada {date}", "minta maaf banyak-banyak", "juruteknik akan datang {date}"],
    "tl": ["salamat po sa pagtawag sa {co} si {agent} po ito ano pong maitutulong ko", "pasensya na po sa abala {name}",
           "sandali lang po i-check ko lang", "naiintindihan ko po ang nararamdaman ninyo", "ibig sabihin po dalawang beses kayong siningil ng {amt}",
           "makakatanggap po kayo ng text sa loob ng {n} oras", "naitala ko na po ito ticket number {ref}", "may iba pa po ba akong maitutulong",
           "hindi ko po alam", "sinabi ko na po kanina hindi po pwede", "wala po akong magagawa", "pwede ko po ba kayong i-hold saglit",
           "ililipat ko po kayo sa billing department", "salamat po sa paghihintay", "pwede ko po bang makuha ang account number ninyo",
           "sige po {name} nakita ko na po yung bayad noong {date}", "aalamin ko po at tatawagan ko kayo bukas"],
}
CUSTOMER = {
    "en": ["hi um i'm calling about my bill it's like {amt} this month", "my name is {name}", "this is ridiculous i've called {n} times",
           "the internet keeps dropping since {date}", "okay", "yeah sure", "i want to speak to your manager", "you don't know?",
           "my order {ref} never arrived", "fine whatever", "thank you", "no that's all", "why was i charged twice"],
    "ms": ["hello saya nak tanya pasal bil saya {amt}", "nama saya {name}", "teruk betul servis korang dah {n} kali saya call",
           "internet saya tak boleh guna dari {date}", "ok", "ya betul", "saya nak cakap dengan manager", "awak tak tahu ke",
           "barang saya tak sampai lagi nombor {ref}", "hmm ok la", "terima kasih", "takde dah itu je"],
    "tl": ["hello po tatanong ko lang po yung bill ko {amt}", "ako po si {name}", "grabe naman kayo {n} beses na akong tumawag",
           "wala pa rin pong internet simula {date}", "sige po", "opo", "gusto kong makausap ang supervisor ninyo",
           "hindi mo alam", "hindi pa dumarating yung order ko {ref}", "sige na nga", "salamat po", "wala na po yun lang"],
}
FILLERS = {"en": ["uh", "um", "like", "you know", "so"], "ms": ["erm", "emm", "ah", "haa", "kan"], "tl": ["ah", "eh", "ano", "kasi", "ganito po"]}
NAMES = ["tan", "ahmad", "liza", "ramon", "siti", "kumar", "joy", "mei ling", "jose", "aisyah", "grace", "farid", "ana", "wei jie", "nur"]
AGENTS = ["dan", "aina", "zul", "dennis", "mika", "priya", "hafiz", "lorna"]
COMPANIES = ["acme", "telco one", "bankku", "globe fiber", "maxmobile", "shopee mart"]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        co=rng.choice(COMPANIES), agent=rng.choice(AGENTS), name=rng.choice(NAMES), n=rng.randint(2, 72),
        amt=f"rm{rng.randint(10, 999)}.{rng.randint(0, 99):02d}", ref=rng.randint(1000, 999999),
        date=f"{rng.randint(1, 28)} {rng.choice(['nov', 'december', 'enero', 'mac'])}",
    )


def utterance(role: dict[str, list[str]], lang: str, rng: random.Random) -> str:
    """One utterance: one to three fragments, mostly in ``lang``, sometimes switching language."""
    parts = []
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        use = lang if rng.random() > 0.2 else rng.choice(("en", "ms", "tl"))
        text = _fill(rng.choice(role[use]), rng)
        if rng.random() < 0.35:
            words = text.split()
            words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS[use]))
            text = " ".join(words)
        parts.append(text)
    return " ".join(parts)


def generate(n_calls: int, turns: int, seed: int, out: Path) -> int:
    """Write ``n_calls`` calls of about ``turns`` turns to ``out``; return the utterance count."""
    rng = random.Random(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    n_rows = 0
    with out.open("w", encoding="utf-8") as fh:
        for c in range(n_calls):
            lang = rng.choice(("en", "ms", "tl"))
            agent = f"{lang.upper()}-B{rng.randint(1, 60):03d}"
            date = f"2026-11-{rng.randint(1, 28):02d}"
            t = 0.0
            for turn in range(max(2, turns + rng.randint(-5, 5))):
                speaker = "agent" if turn % 2 == 0 else "customer"
                text = utterance(AGENT if speaker == "agent" else CUSTOMER, lang, rng)
                start = t + rng.uniform(-0.5, 2.0)
                end = start + 0.3 * len(text.split()) + rng.uniform(0.2, 1.0)
                if rng.random() < 0.01:
                    start += 15.0
                    end += 15.0
                t = end
                fh.write(json.dumps({"call_id": f"b{c:07d}", "turn": turn, "speaker": speaker, "text": text,
                                     "start": round(max(start, 0.0), 2), "end": round(end, 2), "agent_id": agent,
                                     "team": f"team-{lang}", "date": date}) + "\n")
                n_rows += 1
    return n_rows


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    rows = generate(args.calls, args.turns, args.seed, args.out)
    print(f"wrote {args.calls} calls, {rows} utterances -> {args.out}")


if __name__ == "__main__":
    main()

"""``privacy.personal_data``: phone numbers, e-mail addresses, house-number
addresses, dates of birth, vehicle registrations, National Insurance and bank
numbers, and health details about someone identifiable."""
from __future__ import annotations

import re

import phonenumbers

from workflow.messages.checks.findings import WARNING, Contacts, Context, Finding, finding
from workflow.messages.checks.text import Post

CODE = "privacy.personal_data"
WHY = ("Personal data published without a lawful need breaches UK GDPR and the Data Protection Act 2018, "
       "and can expose people to harm; a post should carry only what the appeal or update needs.")
ACTION = ("Remove it, or confirm that publishing it is necessary (for example a suspect vehicle in an "
          "appeal) and that the person concerned has agreed where they can.")
# Numbers anyone may be given: emergency, non-emergency, NHS 111, Crimestoppers, Action Fraud.
# Freephone, non-geographic and corporate ranges: charities, helplines and businesses, not people.
ORGANISATION_RANGES = ("0800", "0808", "0300", "0330", "0333", "0343", "0344", "0345", "0370", "0371",
                       "0800", "0845", "0870", "0871", "0872", "0873", "0843", "0844", "0500", "116")
PUBLIC_NUMBERS = frozenset({"999", "101", "111", "112", "105", "116123", "0800555111", "03001232040"})
# Public bodies' addresses (gov.uk: Action Fraud, the NCSC's report@phishing.gov.uk; police.uk: every
# UK force, which only police bodies are given).
PUBLIC_DOMAINS = ("gov.uk", "police.uk")
EMAIL = re.compile(r"\b[\w.+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\b")
BIRTH = re.compile(r"\b(?:d\.?o\.?b\.?|date of birth|born on|born)\s*:?\s*(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|"
                   r"\d{1,2}(?:st|nd|rd|th)? (?:of )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|"
                   r"dec)[a-z]* \d{4})",
                   re.I)
REGISTRATION = re.compile(r"\b(?:[A-Z]{2}(?:0[1-9]|[1-9]\d) ?[A-Z]{3}|[A-HJ-PR-Y]\d{1,3} ?[A-Z]{3}|"
                          r"[A-Z]{3} ?\d{1,3}[A-HJ-PR-Y])\b")
NI_NUMBER = re.compile(r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
BANK = re.compile(r"\b(?:sort code:?\s*\d{2}[- ]?\d{2}[- ]?\d{2}|\d{2}-\d{2}-\d{2}|"
                  r"account (?:number|no\.?):?\s*\d{6,10}|(?:\d{4}[ -]?){3}\d{4}|"
                  r"card (?:number )?ending(?: in)? "
                  r"\d{4}|iban:?\s*[a-z]{2}\d{2}[a-z0-9 ]{10,30}|passport (?:number|no\.?):?\s*\w{8,9}|"
                  r"nhs (?:number|no\.?):?\s*\d{3} ?\d{3} ?\d{4})\b", re.I)
HEALTH = re.compile(r"\b(?:dementia|alzheimer'?s|diabet(?:es|ic)|epilep(?:sy|tic)|autis(?:m|tic)|"
                    r"schizophreni\w+|bipolar|psychosis|depression|hiv|aids|cancer|terminally ill|"
                    r"mental health (?:condition|problems|issues|crisis)|sectioned|(?:needs|without|takes) "
                    r"(?:his|her|their|vital )?medication|learning disabilit\w+|pregnant|miscarriage|"
                    r"stroke|heart condition|addict\w*|heroin user|alcoholic|(?:registered |"
                    r"partially )?blind(?! (?:bend|corner|spot|summit|side|crest|junction|date|eye|panic|alley))|deaf(?! ear)|"
                    r"wheelchair|disabled|disability|parkinson'?s|multiple sclerosis|motor neurone|adhd|ptsd|"
                    r"anxiety|eating disorder|anorexi\w+|bulimi\w+|self-harm\w*|insulin|asthma\w*|seizures?|"
                    r"brain injury|learning difficult\w+|psychiatric|mental illness|mental health|"
                    r"chemotherapy|dialysis|hiv positive|terminal(?:ly)? ill\w*|partially sighted|"
                    r"visually impaired|overdose[ds]?|taken an overdose|"
                    r"hearing impaired|sight loss|frail|housebound|bed-?bound|recovering from (?:\w+ ){0,2}"
                    r"(?:surgery|an operation|illness|cancer|a stroke|treatment)|diagnosed with|suffer(?:s|"
                    r"ing) from|"
                    r"(?:heart|brain|hip|knee|back) surgery|undergoing treatment|terminal illness|copd|home oxygen|"
                    r"emphysema|dementia)\b", re.I)
# Someone a reader could pick out even unnamed: the driver of a described car, a resident of a house.
IDENTIFIES = re.compile(r"\b(?:(?:who|that|and) lives? at number \d+|"
                        r"the (?:\w+ )?(?:driver|owner|rider|occupant|resident|tenant) of (?:the|a|an) "
                        r"(?:\w+ ){0,2}\w+|(?:who|that|and) lives? (?:alone |on (?:his|her|"
                        r"their) own )?(?:on|at|in) [A-Z]\w+|"
                        r"(?:his|her|their) (?:flat|home|house|bungalow) (?:on|in|at) (?-i:[A-Z])\w+|"
                        r"(?:who|that) lives? (?:on|at|in) (?:[A-Z]\w+ ){1,3}(?:Road|Street|Avenue|Lane|"
                        r"Close|Drive|Way))\b",
                        re.I)
# A police reference read out for the public to quote: "call 101 quoting ref 2400312847", "log 1234".
REFERENCE = re.compile(r"\b(?:ref(?:erence)?|log|incident|occurrence|crime|case|crn|urn|quot(?:e|ing))"
                       r"(?: (?:number|no))?\.?[\s:#]*$", re.I)
# "the incident room on 020 8345 3775", "call 0161 856 4826 or 101": a police line the post itself gives
# as such (a landline; a mobile number is a person's, whoever gives it).
POLICE_LINE_BEFORE = re.compile(r"\b(?:incident room|investigation team|enquiry team|inquiry team|major incident "
                                r"(?:team|room)|detectives|the team|casualty bureau|council|services|helpline|surgery|hospital|(?:police|force) "
                                r"(?:line|switchboard|hotline)|hotline|control room|CID)\b[^.\d]{0,20}?$", re.I)
POLICE_LINE_AFTER = re.compile(r"^,? (?:or|and) (?:on )?101\b")
# A health word inside an awareness day or a service's name is not about anybody ("World Mental Health Day").
HEALTH_EVENT = re.compile(r"^\W*(?:day|week|month|awareness|services?|team|charity|support|hub|"
                          r"nurses?|practitioners?|trust|first aid|champions?)\b", re.I)
SENSITIVE = re.compile(r"\b(?:schizophreni\w+|bipolar|psychosis|psychotic|psychiatric|personality disorder|"
                       r"self-harm\w*|hiv|(?:has not|hasn't|not) (?:taken|had) (?:his|her|their) [\w-]+|"
                       r"without (?:his|her|their) (?:insulin|medication|tablets|meds)|stopped taking|"
                       r"type [12] diabetes|clozapine|lithium|insulin-dependent|overdose[ds]?|"
                       r"mental health (?:is|has been) deteriorating|sectioned|detained under the mental health "
                       r"act)\b", re.I)
# "four pregnant ewes": livestock, not a person.
ANIMAL = re.compile(r"\s+(?:ewes?|sheep|lambs?|cows?|cattle|heifers?|mares?|horses?|ponies|pony|dogs?|bitch|"
                    r"cats?|animals?|livestock|pigs?|sows?|goats?)\b", re.I)
FOUND = re.compile(r"\b(?:found (?:safe|well)|been found|welcome back|is back (?:home|with))\b", re.I)
VEHICLE_OK = re.compile(r"\b(?:stolen|suspect|sought|wanted|fled|made off|involved in|dashcam|"
                        r"failed to stop|seen driving|appeal|may be (?:driving|in))\b", re.I)

# "The car is registered to an address in Exeter": the registration leads to a private keeper.
KEEPER = re.compile(r"\b(?:registered (?:to|keeper|owner)|trace the (?:owner|keeper)|(?:its|the car's|the "
                    r"vehicle's) owner)\b", re.I)
STOLEN = re.compile(r"\bstolen\b", re.I)


def check(post: Post, context: Context, contacts: Contacts) -> list[Finding]:
    """Personal data of the kinds above, except the force's own contact details."""
    text, out = post.text, []

    def add(start: int, end: int, what: str, severity: str = WARNING) -> None:
        out.append(finding(CODE, severity, start, end, text, f"“{text[start:end]}” is {what}", WHY, ACTION))

    own = {_digits(n) for n in contacts.phone_numbers}
    for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE):
        if len(_digits(match.raw_string)) < 10:
            continue  # short codes and the like: not a person's number
        if REFERENCE.search(text[max(0, match.start - 25):match.start]):
            continue  # a crime or incident reference to quote, not a phone number
        national = _digits(phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.NATIONAL))
        if national.startswith(ORGANISATION_RANGES):
            continue
        if not national.startswith("07") and (POLICE_LINE_BEFORE.search(text[max(0, match.start - 60):match.start])
                                              or POLICE_LINE_AFTER.match(text[match.end:match.end + 12])):
            continue
        if national not in PUBLIC_NUMBERS | own and _digits(match.raw_string) not in PUBLIC_NUMBERS | own:
            add(match.start, match.end, "a phone number")
    for match in EMAIL.finditer(text):
        domain = match.group(1).lower()
        allowed = contacts.email_domains + PUBLIC_DOMAINS
        if not any(domain == d or domain.endswith("." + d) for d in allowed):
            add(match.start(), match.end(), "an e-mail address")
    for address in post.addresses():
        add(address.start, address.end, "a house address")
    for pattern, what in ((BIRTH, "a date of birth"), (NI_NUMBER, "a National Insurance number"),
                          (BANK, "a bank or card number")):
        for match in pattern.finditer(text):
            add(match.start(), match.end(), what)
    keeper = KEEPER.search(text) and not STOLEN.search(text)
    for match in REGISTRATION.finditer(text):
        sentence = post.sentence_of(match.start())
        if keeper or not (VEHICLE_OK.search(sentence.text) or post.is_missing_appeal):
            add(match.start(), match.end(), "a vehicle registration")
    # A missing-person appeal may say why someone is vulnerable ("he has dementia and may be confused");
    # a diagnosis of the mind or a drug regime is more than the appeal needs; once found, none of it is.
    identifiable = post.people or post.addresses() or REGISTRATION.search(text) or IDENTIFIES.search(text)
    live_appeal = post.is_missing_appeal and not FOUND.search(text)
    if identifiable:
        for match in (SENSITIVE if live_appeal else HEALTH).finditer(text):
            if HEALTH_EVENT.match(text[match.end():match.end() + 20]) or ANIMAL.match(text, match.end()):
                continue
            add(match.start(), match.end(), "a health detail about someone who is named")
    return out


def _digits(number: str) -> str:
    digits = re.sub(r"\D", "", number or "")
    return "0" + digits[2:] if digits.startswith("44") else digits

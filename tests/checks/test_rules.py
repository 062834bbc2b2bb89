"""Each rule of the check engine: fires on what it is for, stays quiet on routine posts."""
from __future__ import annotations

import pytest

from workflow.messages.checks import Contacts, Context, run
from workflow.messages.checks.text import Post


# These are the rules' own tests: the learnt reading beside them has its own (test_learned.py).
def codes(text: str, context: Context | None = None, contacts: Contacts | None = None) -> set[str]:
    return {f.code for f in run(text, context, contacts, reader=False)}


def spans(text: str, code: str, context: Context | None = None) -> list[str]:
    return [text[f.start:f.end] for f in run(text, context, reader=False) if f.code == code]


# legal.arrested_named

def test_a_name_in_an_arrest_sentence_is_flagged_at_the_name():
    text = "Officers arrested Dean Marsh, 30, in Bacup on Saturday. He has been released on bail."
    assert spans(text, "legal.arrested_named") == ["Dean Marsh"]


def test_a_name_in_the_sentence_after_an_arrest_is_flagged():
    text = "The driver of the van has been arrested. Tom Hart, a joiner from Hindley, is being interviewed."
    assert spans(text, "legal.arrested_named") == ["Tom Hart"]


def test_a_workplace_identifies_someone_arrested():
    text = "The manager of the Crown Inn in Bury was arrested last night on suspicion of theft."
    assert "legal.arrested_named" in codes(text)


def test_an_anonymous_arrest_is_quiet():
    assert codes("A 45-year-old man from Wigan has been arrested on suspicion of burglary and bailed.") == set()


def test_naming_a_charged_adult_is_quiet():
    text = ("Mark Lee, 45, of Bury, has been charged with burglary and will appear at Bolton Magistrates' "
            "Court on Monday 3 June.")
    assert codes(text) == set()


def test_a_recorded_charge_silences_the_arrest_rule():
    text = "Officers arrested Dean Marsh in Bacup on Saturday."
    assert "legal.arrested_named" in codes(text)
    assert "legal.arrested_named" not in codes(text, Context(charged=True))


def test_officers_quoted_in_an_arrest_update_are_not_the_arrested_person():
    text = "A man has been arrested. Detective Inspector Jane Doe said: 'We are grateful for the calls.'"
    assert codes(text) == set()


# legal.prejudicial

@pytest.mark.parametrize("wording", [
    "He has previous convictions for violence",
    "He confessed to officers",
    "The evidence against him is overwhelming",
    "Detectives believe they have caught the killer",
    "He was jailed for the same type of offending in 2019",
    "We believe there are more people out there he has conned",
    "Between them, the trio have been running a county line",
    "We believe the evidence put before the court speaks for itself",
    "Her account was powerful and consistent throughout the trial",
    "The jury were shown CCTV in which Liddle can be seen throwing the punch",
    "Within 72 hours, the gunman who opened fire on a busy street is off it",
    "All three have been convicted of coursing on the Lincolnshire Fens before, so the courts should take a dim view",
    "No surprise, he's already been banned twice",
    "He has admitted to all of them in interview, so you can all rest a bit easier",
    "He has been a thorn in this town's side for far too long and is finally facing the music",
    "He admitted to officers at the scene that he'd been carrying it for protection",
    "Within hours of his arrest he admitted to interviewing officers what he had done that night",
    "We've established that the arrested man spent the afternoon drinking before getting behind the wheel",
    "The bus driver saw the whole thing and is very clear that the man we arrested threw the first punch",
    "The nurse has since provided a detailed statement that has been crucial to building our case",
    "Amira's phone video shows the attack clearly and it'll be crucial at trial",
])
def test_prejudicial_wording_after_an_arrest_is_flagged(wording):
    assert "legal.prejudicial" in codes(f"A man has been arrested on suspicion of murder. {wording}.")


def test_the_same_wording_after_sentencing_is_quiet():
    text = "Craig Thornley, 45, was jailed for ten years for burglary. He had 31 previous convictions."
    assert codes(text) == set()


def test_before_any_arrest_an_appeal_may_speak_of_the_attacker():
    assert codes("We want to find the attacker who hurt a man on Bridge Street. Call 101.") == set()


def test_recorded_proceedings_make_the_rule_apply_to_any_text():
    text = "The attacker ran off towards the park."
    assert "legal.prejudicial" not in codes(text)
    assert "legal.prejudicial" in codes(text, Context(proceedings_active=True))


def test_finding_those_responsible_is_not_presuming_guilt():
    text = "A man has been arrested and we continue to look for those responsible for the attack."
    assert "legal.prejudicial" not in codes(text)


# legal.sexual_offence_complainant

def test_relationship_to_the_accused_is_flagged():
    text = "A man has been charged with raping his stepdaughter and will appear at court tomorrow."
    assert spans(text, "legal.sexual_offence_complainant") == ["his stepdaughter"]


def test_age_with_a_street_is_a_jigsaw():
    text = "A 19-year-old woman was sexually assaulted on Cranbourne Street on Sunday."
    assert "legal.sexual_offence_complainant" in codes(text)


def test_a_general_appeal_about_a_sexual_assault_is_quiet():
    text = "A woman in her 20s was sexually assaulted on a footpath near the canal. Call 101."
    assert codes(text) == set()


def test_a_recorded_sexual_offence_makes_any_victim_age_serious():
    text = "A 23-year-old woman was attacked in the town centre on Friday night."
    assert "legal.sexual_offence_complainant" not in codes(text)
    found = [f for f in run(text, Context(sexual_offence=True)) if f.code == "legal.sexual_offence_complainant"]
    assert found and all(f.severity == "serious" for f in found)


def test_a_sentenced_defendant_named_with_the_offence_is_quiet():
    text = "Paul Hennessy, 58, of Salford, was sentenced to 12 years for the rape of a woman in 2004."
    assert codes(text) == set()


# legal.youth

def test_a_named_child_suspect_is_flagged():
    text = "Mason Hart, 16, of Walkden, has been charged with possession of a knife."
    assert spans(text, "legal.youth") == ["Mason Hart"]


def test_a_childs_school_in_a_case_is_flagged():
    text = "A 14-year-old pupil at Canon Slade School has been arrested on suspicion of making threats."
    assert "legal.youth" in codes(text)


def test_an_unnamed_child_defendant_is_quiet():
    text = ("A 17-year-old boy from Rochdale has been charged with robbery and will appear before youth court. "
            "He cannot be named for legal reasons.")
    assert codes(text) == set()


def test_a_missing_child_appeal_is_the_exception():
    text = "Can you help us find 13-year-old Leah Dawson? She was last seen in Bury. Please call 101."
    assert codes(text) == set()


# legal.deceased_unconfirmed

def test_naming_someone_who_died_is_flagged():
    text = "A man who died after a collision on the A58 has been named as Peter Gaskell, 61."
    assert "Peter Gaskell" in spans(text, "legal.deceased_unconfirmed")


def test_a_family_tribute_is_quiet_by_default():
    text = ("The family of a man who died after a collision have paid tribute to him. Philip Gibson, 67, "
            "was a devoted grandad.")
    assert codes(text) == set()


def test_recorded_confirmations_decide_over_the_text():
    text = "Motorcyclist Daniel Hough, 27, was killed in a crash on Saturday."
    assert "legal.deceased_unconfirmed" in codes(text)
    assert codes(text, Context(family_informed=True, formally_identified=True)) == set()
    strict = Context(family_informed=False)
    told = text + " His family have been informed."
    assert "legal.deceased_unconfirmed" in codes(told, strict)


def test_not_believed_to_be_suspicious_is_not_a_name():
    text = "A man died this morning. His death is not believed to be suspicious."
    assert "legal.deceased_unconfirmed" not in codes(text)


# legal.witness and legal.reporting_restriction

def test_a_named_witness_is_flagged():
    text = "Thank you to shop worker Priya Shah, who saw the robbery and chased the man."
    assert spans(text, "legal.witness") == ["Priya Shah"]


def test_a_generic_witness_appeal_is_quiet():
    text = "Anyone who witnessed the collision on Manchester Road at 5.30pm is asked to call 101."
    assert codes(text) == set()


def test_a_recorded_restriction_flags_the_whole_text():
    text = "The trial continues at Bolton Crown Court."
    assert codes(text) == set()
    found = run(text, Context(reporting_restriction=True))
    assert [(f.code, f.severity, f.start, f.end) for f in found] == [
        ("legal.reporting_restriction", "serious", 0, len(text))]


def test_a_restriction_named_in_the_text_is_flagged():
    text = "Reporting restrictions apply to this trial, but the defendant told the jury he was elsewhere."
    assert spans(text, "legal.reporting_restriction") == ["Reporting restrictions"]


def test_cannot_be_named_for_legal_reasons_is_not_a_restriction_warning():
    assert codes("A 16-year-old has been charged. He cannot be named for legal reasons.") == set()


# privacy.personal_data

@pytest.mark.parametrize("text, detail", [
    ("If it's yours call Karen on 07700 900123.", "07700 900123"),
    ("Email me at g.wood1979@gmail.com with footage.", "g.wood1979@gmail.com"),
    ("The wallet holds a licence with date of birth 14/03/1986.", "date of birth 14/03/1986"),
    ("A National Insurance card, number QQ 12 34 56 C, was handed in.", "QQ 12 34 56 C"),
    ("The owner of the Audi, reg BD51 SMR, left it unlocked.", "BD51 SMR"),
    ("Mr Hale lives at 8 Parkside Close with his dog.", "8 Parkside Close"),
])
def test_personal_data_is_flagged_at_the_detail(text, detail):
    assert detail in spans(text, "privacy.personal_data")


def test_public_and_force_numbers_are_quiet():
    contacts = Contacts(phone_numbers=("0161 856 0101",), email_domains=("gmp.police.uk",))
    text = ("Call 101, or 999 in an emergency. Crimestoppers: 0800 555 111. Switchboard 0161 856 0101. "
            "Email bolton@gmp.police.uk or report@phishing.gov.uk.")
    assert codes(text, contacts=contacts) == set()
    assert codes("Switchboard 0161 856 0101.") == {"privacy.personal_data"}


def test_a_suspect_vehicle_in_an_appeal_is_quiet():
    assert codes("Have you seen a stolen silver Ford Transit, registration YK18 VCB?") == set()


def test_health_detail_about_a_named_person_is_flagged_but_not_in_a_missing_appeal():
    assert "privacy.personal_data" in codes("Sarah Doyle, who has epilepsy, was taken ill on the bus.")
    assert codes("Have you seen Maureen Holt, 78? She has dementia and is missing from home. Call 101.") == set()


# privacy.suicide

def test_method_detail_in_a_death_is_flagged():
    text = "A woman has died after taking a large number of pills. There are no suspicious circumstances."
    assert "privacy.suicide" in codes(text)


def test_place_detail_in_a_possible_suicide_is_flagged():
    text = "A man on the edge of Ainsworth Road bridge was brought to safety. Concern for the welfare of a man."
    assert "Ainsworth Road bridge" in spans(text, "privacy.suicide")


def test_a_bridge_closure_is_quiet():
    assert codes("Ainsworth Road bridge is closed for repairs until Friday.") == set()


# the text reader shared by the rules

def test_places_officers_and_organisations_are_not_names():
    post = Post("Greater Manchester Police said PC Sam Whitfield met residents on Manchester Road in Little Lever.")
    assert post.names == []


def test_an_inquest_means_the_family_has_been_told():
    text = "The inquest into the death of Paul Jones, who died in a crash on the M61, concluded today."
    assert codes(text) == set()


def test_a_thank_you_naming_a_witness_is_flagged():
    text = "Big thank you to Ahmed Karim, who saw the fight outside the shop and stepped in to help."
    assert spans(text, "legal.witness") == ["Ahmed Karim"]


def test_a_place_ending_in_bridge_or_road_is_not_a_person():
    post = Post("Emergency services were called to Scout Bottom Bridge and Tonge Moor Road at 3am.")
    assert post.names == []


def test_a_surname_like_hall_is_kept_when_an_age_follows():
    assert [n.text for n in Post("Witness statement from Derek Hall, 60: he saw the car.").names] == ["Derek Hall"]


def test_stating_what_the_accused_did_is_prejudicial_but_the_allegation_is_not():
    assert "legal.prejudicial" in codes("A man has been charged with assault. He punched the driver twice.")
    assert codes("A man has been charged with assault. It is alleged that he punched a bus driver.") == set()


# Who is a person, and where a rule looks

@pytest.mark.parametrize("text, person", [
    ("Officers were called to Newark Northgate station after a man was arrested.", None),
    ("Our Serious Collision Investigation Unit wants to hear from anyone arrested nearby.", None),
    ("The driver was taken to Perth Royal Infirmary and a man was arrested.", None),
    ("A white Ford Transit was seized when a man was arrested.", None),
    ("Farmer Gwyn Morgan was arrested at his farm on Tuesday.", "Gwyn Morgan"),
    ("Neighbour Barry Knowles has been arrested.", "Barry Knowles"),
    ("Mr Okonkwo-Beckett has been arrested.", "Mr Okonkwo-Beckett"),
])
def test_a_full_name_starts_with_a_first_name_or_a_title(text, person):
    # Without a first name, a title, an age or a naming cue, two capitalised words are a place or a thing.
    assert [p.text for p in Post(text).names] == ([person] if person else [])


def test_a_digest_reads_each_item_apart():
    digest = ("This week's court results:\n"
              "• Marcus Bell, 49, of Yate, jailed for 11 years for sexual offences against two women.\n"
              "• Chloe Winter, 31, of Bedminster, given a 2-year suspended sentence for taking £23,000 from her "
              "employer.\n"
              "• A 34-year-old man from Bucknall was arrested on suspicion of burglary.\n"
              "• Come and meet us at Hanley Library, Thursday 2-4pm, with PCSO Amy Platt.")
    assert codes(digest) == set()
    # The same sexual offence item with the complainant's workplace is still flagged within its item.
    slipped = digest.replace("against two women.", "against two women, both carers at the Laurels care home.")
    assert codes(slipped) == {"legal.sexual_offence_complainant"}


def test_the_victim_named_beside_an_arrest_is_not_taken_for_the_person_arrested():
    text = ("Thomas Grainger, 24, was found with stab wounds on Queens Road and died at the scene. His family "
            "have been informed and formal identification has taken place. A 19-year-old man from Coventry "
            "has been arrested on suspicion of murder. Our thoughts are with Thomas's family.")
    assert codes(text) == set()
    assert spans(text.replace("A 19-year-old man from Coventry", "Jason Reid, 19, from Coventry"),
                 "legal.arrested_named") == ["Jason Reid"]


def test_a_sentence_ends_at_a_closing_quote():
    text = 'They said: "Dwayne lit up every room." Two men have been arrested.'
    assert [s.text.strip() for s in Post(text).sentences] == ['They said: "Dwayne lit up every room."',
                                                               "Two men have been arrested."]


@pytest.mark.parametrize("text", [
    "Top work by PD Bruno tracking two suspects from a stolen car. Men aged 19 and 22 in custody.",
    "ANPR led officers to a stolen Transit on the M62 overnight. Driver, 30, arrested for theft.",
])
def test_a_plural_or_a_role_with_an_age_is_not_a_name(text):
    assert codes(text) == set()


def test_a_court_in_a_place_name_is_not_a_court_hearing():
    # "Jubilee Court on Wellington Road" is where she was found, not a court date that settles the case.
    text = ("Officers were called to Jubilee Court on Wellington Road, where Kerry Lloyd, 38, was found with "
            "serious injuries; she died at the scene.")
    assert "legal.deceased_unconfirmed" in codes(text)


def test_a_live_missing_appeal_may_say_dementia_but_not_a_psychiatric_diagnosis():
    plain = "MISSING: Have you seen Alan Pryce, 77, from Wrexham? Alan has dementia and may be confused."
    assert codes(plain) == set()
    detailed = ("MISSING: Have you seen Alan Pryce, 47, from Wrexham? Alan has paranoid schizophrenia and has not "
                "taken his clozapine since Tuesday.")
    assert codes(detailed) == {"privacy.personal_data"}


def test_a_complainants_age_with_a_welsh_street_is_flagged():
    text = ("A 31-year-old man from Caernarfon has been charged with rape following an incident involving a "
            "23-year-old woman on Ffordd Cynan, Bangor, in the early hours of Sunday.")
    assert spans(text, "legal.sexual_offence_complainant") == ["23-year-old"]
    assert codes(text.replace("23-year-old woman on Ffordd Cynan, Bangor", "woman in Bangor")) == set()


def test_a_result_published_while_a_further_trial_is_to_come_is_flagged():
    text = ("Dean Foley, 29, of Redruth, has been convicted of wounding with intent at Truro Crown Court. Foley "
            "will stand trial again in March on separate charges of intimidating a witness.")
    assert spans(text, "legal.prejudicial") == ["will stand trial again"]
    assert codes(text.split(" Foley will")[0]) == set()


def test_a_guilty_plea_and_a_fine_are_a_result_not_a_presumption():
    text = ("Lee Parsons, 52, of Wellingborough, has been disqualified from driving for 20 months and fined "
            "£1,100 after pleading guilty to drink-driving at Northampton Magistrates' Court.")
    assert codes(text) == set()


def test_a_death_already_before_a_court_is_not_a_death_the_family_may_not_know_of():
    text = ("The jury has retired in the trial of Imran Siddique, accused of causing the death of 23-year-old "
            "Ellie Marsh by dangerous driving on the A6 near Kibworth.")
    assert "legal.deceased_unconfirmed" not in codes(text)
    assert "legal.deceased_unconfirmed" in codes("Ellie Marsh, 23, died after a collision on the A6 near Kibworth.")


def test_a_carer_of_the_accused_is_a_relationship_that_identifies():
    text = ("Graham Bellamy, of Heysham, is charged with sexual assault against a woman who worked as his live-in "
            "carer between 2021 and 2023.")
    assert spans(text, "legal.sexual_offence_complainant") == ["his live-in carer"]


def test_a_confiscation_order_is_a_result_not_an_active_case():
    text = ("Lee Carr, 42, of Sunderland, who was jailed last year for supplying cocaine, has been handed a "
            "confiscation order at Newcastle Crown Court. He has three months to pay.")
    assert codes(text) == set()


def test_a_part_in_a_small_community_identifies_someone_who_has_died():
    text = ("A motorcyclist died after a collision on the A66 near Threlkeld. Formal identification has not yet "
            "taken place, but we believe the rider to be a man from Keswick who volunteers with the local mountain "
            "rescue team.")
    assert spans(text, "legal.deceased_unconfirmed") == ["who volunteers with the local mountain rescue team"]


def test_a_description_of_a_suspect_still_sought_is_not_an_arrest():
    text = ("The man left with nothing thanks to Priya behind the counter, who hit the alarm and got a really good "
            "look at his face. The suspect is a white man aged 20-30 in a grey hoodie.")
    assert codes(text) == {"legal.witness"}
    assert "legal.arrested_named" in codes("The suspect is Darren Pike, 31, who remains in custody.")


def test_a_complainant_who_works_at_the_scene_is_identified():
    text = ("A man has been charged with sexual assault following an incident at the Red Lion in Much Wenlock. "
            "The woman, who works behind the bar there, was assaulted while collecting glasses.")
    assert spans(text, "legal.sexual_offence_complainant") == ["who works behind the bar there"]


def test_footage_the_public_sent_in_is_not_a_picture_of_a_child():
    text = ("Court result: a 15-year-old boy from the Barnstaple area, who can't be identified for legal reasons, "
            "has been given a referral order. Thanks to the residents who sent us footage.")
    assert codes(text) == set()


def test_the_second_of_two_towns_is_a_place():
    text = ("Three men have been arrested after warrants at addresses in Blackpool and Preston this morning. All "
            "three remain in custody.")
    assert codes(text) == set()


def test_a_school_where_a_collision_happened_is_the_scene_not_the_childs_school():
    text = ("A driver has been charged after a 10-year-old boy was seriously injured in a collision outside "
            "Westwood Primary School in March, Cambridgeshire.")
    assert codes(text) == set()
    assert codes(text.replace("in a collision outside", "in an attack at his school,")) == {"legal.youth"}


def test_a_child_who_died_may_be_named_once_the_family_is_told_and_the_identification_done():
    text = ("We can now name the teenager who died following a collision near Ramsey as 16-year-old Oliver Grant, "
            "from Ramsey. Oliver's family have been informed and formal identification has taken place.")
    assert codes(text) == set()
    charged = ("A 15-year-old boy has been charged with causing the death of Oliver Grant. Jake Lee, 15, will "
               "appear at youth court. Oliver's family have been informed.")
    assert "Jake Lee" in spans(charged, "legal.youth")


@pytest.mark.parametrize("text", [
    "Anyone with information can call 0161 856 4826 or 101, quoting log 3014 of 14/11/24.",
    "Please speak to the incident room on 020 8345 3775 if you know anything.",
])
def test_a_police_line_the_post_gives_as_such_is_not_personal_data(text):
    assert codes(text) == set()
    assert codes("If you see the quad, please ring the owner on 07700 914382.") == {"privacy.personal_data"}


@pytest.mark.parametrize("text", [
    "It's a month since 34-year-old Sajid Akhtar was hit by a vehicle which failed to stop, and we're still "
    "looking for the driver.",
    "We remember PC Ian Gray, who died in 1998 when his patrol car was hit by a stolen vehicle in Rhyl.",
])
def test_a_death_long_past_may_name_the_dead(text):
    assert codes(text) == set()


def test_a_person_keeps_the_age_given_before_their_name():
    text = ("A 16-year-old boy has been charged with the murder of 18-year-old Kyle Mensah. The boy cannot be "
            "named for legal reasons. Kyle has been formally identified and his family are being supported.")
    assert "legal.youth" not in codes(text)


def test_a_titled_name_is_flagged_when_it_is_the_person_arrested():
    text = ("Councillor Malcolm Heseltine, 63, who represents the Spennymoor ward, was arrested on Tuesday on "
            "suspicion of misconduct in public office.")
    assert spans(text, "legal.arrested_named") == ["Councillor Malcolm Heseltine"]
    assert codes("A 14-year-old pupil at Canon Slade School has been arrested on suspicion of making threats "
                 "online.") == {"legal.youth"}


def test_a_custody_image_of_the_adult_convicted_is_not_a_childs_picture():
    text = ("Derek Mallinson, 64, of Nuneaton, was convicted of indecency with a child. Both victims are entitled "
            "to lifelong anonymity. A custody image of Mallinson is attached.")
    assert codes(text) == set()


def test_a_picture_of_events_and_advice_to_parents_are_not_identifying():
    assert codes("A 45-year-old man was arrested on Saturday. Detectives are working to build a full picture of "
                 "the events leading up to his death.") == set()
    assert codes("We urge parents to talk to their children about sextortion, where offenders persuade a child "
                 "to share images. Report Remove helps young people aged 14 to 17 get images removed.") == set()


def test_a_childs_nursery_identifies_the_child():
    text = ("Kerry-Ann Mottram, 31, is charged with child cruelty relating to her son, aged four, who attends "
            "Little Acorns nursery on Caerleon Road.")
    assert "Little Acorns nursery" in spans(text, "legal.youth")


def test_a_bridge_closed_for_a_welfare_concern_may_be_named_in_the_travel_news():
    text = ("Clifton Suspension Bridge has now reopened after it was closed for several hours due to concern for "
            "the welfare of a man. He is now receiving appropriate care.")
    assert codes(text) == set()
    assert "privacy.suicide" in codes("We were called to concern for the safety of a man on the edge of Ainsworth "
                                      "Road bridge over the M66.")


def test_a_saints_name_is_a_place_and_a_casualty_on_the_tracks_is_the_railways_wording():
    assert codes("Detectives investigating the death of a 42-year-old man want doorbell footage from St Ann's "
                 "Well Road.") == set()
    assert codes("Emergency services are at Stockport station following a casualty on the tracks. Sadly, a "
                 "person has died. The death is not being treated as suspicious.") == set()


def test_a_complainant_working_at_the_scene_and_a_health_detail_at_a_house_number_are_flagged():
    assert "legal.sexual_offence_complainant" in codes(
        "We are investigating a report that a woman working on one of the food kiosks in the North Stand "
        "concourse was sexually assaulted at half time.")
    assert "privacy.personal_data" in codes(
        "One woman, 67, who lives at number 9 and uses home oxygen for her COPD, is in hospital.")


def test_someone_thanked_beside_an_arrest_is_a_witness_not_the_person_arrested():
    text = ("Huge thanks to Gurpreet, the driver of the number 74 bus who stopped on Soho Road last night and "
            "stayed with the injured man until paramedics arrived. A 26-year-old man remains in custody.")
    assert codes(text) == {"legal.witness"}


def test_a_school_reassured_that_no_child_was_involved_is_not_a_childs_school():
    text = ("Parents at Oakfield Primary, Leighton Buzzard: a man was arrested nearby on suspicion of a public "
            "order offence. This was not connected to the school, no children were involved, and there is no "
            "ongoing risk.")
    assert codes(text) == set()


def test_the_estate_where_a_house_was_burgled_is_not_where_the_person_arrested_lives():
    text = ("We've arrested a 27-year-old man from Wrexham on suspicion of burglary after a house on the Acton "
            "estate was broken into on Sunday afternoon. He remains in custody.")
    assert codes(text) == set()
    assert "legal.arrested_named" in codes("We've arrested a 27-year-old man who lives on the Acton estate on "
                                           "suspicion of burglary. He remains in custody.")


def test_a_confiscation_hearing_is_a_result_not_an_active_case():
    text = ("A fraudster who stole more than £180,000 from his elderly clients has been ordered to repay £95,000. "
            "Nigel Harcourt, 58, of Cobham, was jailed last year for fraud. At a confiscation hearing at "
            "Guildford Crown Court, he was given three months to pay.")
    assert codes(text) == set()


@pytest.mark.parametrize("text", [
    "A 42yo man from Rhyl has been charged with rape. The victim, his 16yo stepdaughter, is being supported.",
    "Man, 29, charged with sexual assault on a woman who works the night shift at the Tesco Extra in Stevenage.",
])
def test_shorthand_ages_and_shifts_still_identify_a_complainant(text):
    assert "legal.sexual_offence_complainant" in codes(text)


def test_the_schools_lollipop_lady_as_a_witness_is_identified():
    text = ("We'd like to thank the school's lollipop lady, who saw the whole thing from her crossing and has "
            "given her full account to officers.")
    assert spans(text, "legal.witness") == ["the school's lollipop lady"]

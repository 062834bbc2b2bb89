"""Common given names in the UK, and nicknames, so a person named by first name
only ("we've arrested Jason", "thanks to Gary") is still found. Written for
Crier from the kinds of names in local police posts; nothing is downloaded.

Names that are also ordinary English words ("Will", "Mark", "Rose") or places
("Preston", "Chelsea") are kept apart: they count as a name only when written
with a capital and not at the start of a sentence."""
from __future__ import annotations

import gender_guesser.detector

GIVEN = frozenset("""
aaron abbie abby abdul abdullah abigail adam adrian ahmed aidan aiden aimee alan alana alex
alexander alexandra alfie ali alice alicia alison amanda amara amelia amir amira amy andrea andrew
andy angela ann anna anne annie anthony antony archie arthur ashleigh asif aurora ava bailey barbara
barry becky ben benjamin beth bethany billy bobby bradley brandon brenda brian bridget brooke bryan
caitlin callum cameron carl carla carly caroline casey catherine charlie charlotte chelsey chloe
chris christine christopher ciaran claire clare colin connor courtney craig daniel danielle danny
darren david dawn dean debbie deborah declan denise dennis derek diane dominic donna dylan eddie
edward eileen eleanor elizabeth ella ellie elliot elliott emily emma eric erin ethan evie farah
fatima fiona francesca freddie freya gareth gary gavin gemma george georgia gerald gillian glen
glenn gordon graham hannah harriet harrison harvey hassan hayley heidi helen henry holly hussain ian
imran isaac isabel isabella isabelle isla jack jackson jacob jade jake james jamie jane janet
jasmine jason jayden jeff jennifer jenny jeremy jessica jill jodie jodi joan joanne joe joel john
johnny jon jonathan jordan joseph josh joshua julie justin kacey kai karen kate katie kayleigh keith
kelly kenneth kerry kevin khalid kieran kim kirsty kyle lacey laura lauren leah lee leigh leo leon
lewis liam lily linda lisa logan lola louis louise lucas lucy luke lydia lynn lynne maisie malcolm
mandy marcus margaret maria marie martin martyn mary mason matthew matty maureen megan melissa mia
michael michelle mike millie mohammed mohammad muhammad molly naomi natalie nathan neil niamh
nicholas nicola nicole nigel noah oliver olivia oscar owen paige pamela patricia paul paula peter
phil philip phillip rachel rebecca reece rhys richard ricky riley rob robert robbie robyn rory ross
ruby ryan sadie sally samantha samuel sandra sara sarah scott sean shane shannon sharon shaun sheila
simon sophie stacey stephanie stephen steve steven stewart stuart susan suzanne tanya tara terry
thomas tim timothy toby tom tommy tony tracey tracy tyler vanessa vicky victoria wayne william
yasmin zac zach zoe zara aled dafydd dai gethin iwan osian rhian sian siân cerys ffion carys bryn
emyr huw ioan llyr nia seren euan fraser hamish calum ewan iain kirsteen morag mhairi eilidh ailsa
kenny alasdair angus murdo siobhan ciara ciaran cian oisin ruairi niall aoife saoirse roisin orla
sinead padraig seamus declan priya raj sanjay deepak anil sunil ravi rajesh amit vikram arjun
harpreet gurpreet jaspreet manjit simran aisha ayesha zainab maryam yusuf ibrahim omar bilal tariq
zain faisal kamran shahid nadia kwame kofi chidi emeka tunde femi ade olu chioma ngozi amara tomasz
piotr marek pawel krzysztof agnieszka katarzyna magdalena andrei ionut mihai bogdan darius lukas
jonas tyrone jermaine dwayne leroy marlon shanice keeley kayla jodie jodi chantelle demi tia tiana
kerry-ann keira kieron brody jenson kyran taylor-jay jaxon bronson tegan tayla leanne kelsey
kimberley stacy liz lizzie beth bev pauline carol jackie val hazel hilda doris norman ron ronnie reg
trevor graeme duncan hugh
""".split())
# Given names that are also ordinary words or places: a name only when capitalised mid-sentence.
AMBIGUOUS = frozenset("""
will may mark grace rose jack bill guy sue art joy hope faith amber april june holly ivy daisy poppy
crystal eve rob pat sandy robin drew frank gene heather iris olive pearl violet angel chase miles
rich wade hunter brook ray max bob jay kit don nick al ash jo reg sky summer dawn lee jordan chelsea
paris preston stanley austin lincoln florence sydney dean carter mason taylor harry
""".split())
# Nicknames and short forms that appear in posts ("Gaz", "Macca").
NICKNAMES = frozenset("gaz baz daz shaz macca jonno robbo gav kev dave davey stevie tel del jimmy jim "
                      "fred sid ted tel vinny micky mickey danny".split())


# Common surnames that are not also ordinary words: "mo patel" written in lower case is still a name.
SURNAMES = frozenset("""
smith jones patel khan williams wilson johnson davies evans thomas roberts robinson thompson hughes
edwards harris jackson clarke morris watson harrison morgan mitchell anderson phillips davis singh
ahmed hussain begum shah murphy campbell stewart murray macdonald mcdonald reid kaur kowalski nowak
okafor okoro mensah o'brien o'neill o'connor mcgrath mccarthy mclaughlin fitzgerald gallagher
doherty jenkins griffiths pritchard llewellyn rees price powell owens lloyd williamson richardson
richards atkinson hutchinson
""".split())


def is_given(word: str, *, capitalised: bool) -> bool:
    """Whether ``word`` is a given name: any listed name when capitalised, only an unambiguous one
    otherwise."""
    plain = word.lower()
    if plain in AMBIGUOUS:
        return capitalised
    return plain in GIVEN or plain in NICKNAMES


_KNOWN = gender_guesser.detector.Detector(case_sensitive=False)


def is_first_name(word: str) -> bool:
    """Whether ``word`` is anybody's first name: Crier's list, or the 40,000 first names from many
    countries that ship with gender-guesser."""
    plain = word.lower()
    return plain in GIVEN or plain in NICKNAMES or plain in AMBIGUOUS or plain in _KNOWN.names

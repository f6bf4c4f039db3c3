#!/usr/bin/env python
"""Write the lic_gpu demo corpus: ``lic_gpu/resources/demo/{words,ratings}.csv``.

The corpus is synthetic and was written for this project (MIT, like the rest of it). Five made-up
speakers (``S01``..``S05``) each tell four short spoken narratives (``ep1``..``ep4``): a trip, work,
an accident, a wedding, a loss, a hobby, and so on. Each narrative is a list of hand-written
sentences, every one tagged with a *mood* (calm-pleasant, excited-unpleasant, neutral, ...). A
smaller share of slot-filled template sentences, also mood-tagged, is mixed into each narrative.

Each sentence also has a categorical label, ``category`` (neutral, joy, sadness, fear, anger,
surprise), fixed by its mood. Ratings (integers 1-7) are drawn from the mood: each mood has a mean for arousal, valence, joy,
sadness, fear, anger and surprise; a little Gaussian noise is added, the result is rounded and
clipped to 1-7. Most sentences are neutral or mild, so the levels pile up in the middle like real
ratings, and the words in a sentence carry signal about its ratings.

Everything is deterministic (fixed numpy seed); running the script twice gives identical files.

Usage::

    python scripts/make_demo_corpus.py            # writes into lic_gpu/resources/demo/
    python scripts/make_demo_corpus.py --out DIR  # writes somewhere else
    python scripts/make_demo_corpus.py --check    # regenerate in memory, compare with the files
"""

from __future__ import annotations

import argparse
import csv
import io
import string
import sys
from pathlib import Path

import numpy as np

SEED = 20240607
EMOTIONS = ("arousal", "valence", "joy", "sadness", "fear", "anger", "surprise")
WORDS_COLUMNS = ("sub", "episode", "segment", "label")
# The categorical label (issue 14): one emotion category per sentence, from its mood (no random draw,
# so adding it changed no rating); heavily imbalanced, as category-labelled corpora are.
CATEGORY = {
    "N": "neutral",
    "MP": "joy",
    "MU": "anger",
    "CP": "neutral",
    "CU": "sadness",
    "EP": "joy",
    "EF": "fear",
    "EA": "anger",
    "SU": "surprise",
    "XC": "neutral",
    "XS": "sadness",
    "XP": "joy",
    "XA": "anger",
    "XF": "fear",
}
RATINGS_COLUMNS = ("sub", "episode", "segment", "start", "end") + EMOTIONS + ("category",)
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "lic_gpu" / "resources" / "demo"

# --------------------------------------------------------------------------------------------
# Moods: mean rating for (arousal, valence, joy, sadness, fear, anger, surprise), noise sd for
# (arousal, valence, discrete emotions).
# --------------------------------------------------------------------------------------------
MOODS: dict[str, tuple[tuple[float, ...], tuple[float, float, float]]] = {
    # neutral narration: middle arousal/valence, discrete emotions low
    "N": ((3.85, 4.05, 1.5, 1.3, 1.2, 1.2, 1.4), (0.65, 0.55, 0.45)),
    # mild pleasant / mild unpleasant
    "MP": ((4.3, 5.1, 3.0, 1.1, 1.0, 1.0, 1.6), (0.55, 0.55, 0.6)),
    "MU": ((4.1, 3.2, 1.1, 2.4, 1.6, 2.3, 1.4), (0.55, 0.55, 0.6)),
    # calm pleasant / calm unpleasant (low, sad, tired)
    "CP": ((2.6, 5.3, 3.4, 1.1, 1.0, 1.0, 1.1), (0.5, 0.5, 0.6)),
    "CU": ((2.7, 2.7, 1.0, 4.6, 1.5, 1.3, 1.1), (0.5, 0.5, 0.6)),
    # excited pleasant / frightened / angry / surprised
    "EP": ((5.5, 6.0, 5.4, 1.0, 1.1, 1.0, 3.4), (0.5, 0.5, 0.6)),
    "EF": ((5.4, 2.7, 1.0, 2.0, 5.4, 1.5, 3.2), (0.5, 0.5, 0.6)),
    "EA": ((5.3, 2.7, 1.0, 2.0, 1.5, 5.6, 2.0), (0.5, 0.5, 0.6)),
    "SU": ((5.2, 4.8, 3.2, 1.1, 1.5, 1.0, 5.9), (0.5, 0.5, 0.6)),
    # extremes: very calm, deep grief, overjoyed, enraged, terrified
    "XC": ((1.2, 5.2, 3.0, 1.0, 1.0, 1.0, 1.0), (0.35, 0.35, 0.6)),
    "XS": ((2.2, 1.2, 1.0, 6.8, 2.0, 1.5, 1.5), (0.35, 0.35, 0.4)),
    "XP": ((6.8, 6.8, 6.8, 1.0, 1.0, 1.0, 4.5), (0.35, 0.35, 0.4)),
    "XA": ((6.5, 1.6, 1.0, 1.5, 1.5, 6.9, 2.0), (0.35, 0.35, 0.4)),
    "XF": ((6.8, 1.3, 1.0, 2.5, 6.8, 1.8, 5.0), (0.35, 0.35, 0.4)),
}

# --------------------------------------------------------------------------------------------
# Hand-written narratives: {(sub, episode): [(mood, sentence), ...]} in spoken order.
# --------------------------------------------------------------------------------------------
STORIES: dict[tuple[str, str], list[tuple[str, str]]] = {}

# S01 ep1 - a week on the coast
STORIES["S01", "ep1"] = [
    ("N", "So last month my partner and I finally took a week off and drove down to the coast."),
    ("N", "We left on a Friday morning and the drive took about five hours with one stop."),
    ("MU", "The traffic around the city was awful, and I was already a bit grumpy by lunchtime."),
    ("N", "We'd booked a small cottage near the harbour through a friend of a friend."),
    ("CP", "The first evening we just sat on the porch with a cup of tea and watched the boats."),
    ("XC", "It was so quiet that you could hear the waves slowly rolling in, and I nearly fell asleep in my chair."),
    ("CP", "I slept like a baby that night, honestly the best sleep I've had in months."),
    ("N", "On Saturday we walked into town to get groceries and look around the market."),
    ("MP", "There was a little café on the corner that did the best croissants, so that became our breakfast spot."),
    ("N", "My partner wanted to rent bikes, so we cycled along the old railway path for a couple of hours."),
    (
        "EP",
        "Then on Tuesday we went out on a little fishing boat, and a whole group of dolphins started jumping right next to us, maybe ten of them!",
    ),
    ("EP", "I was screaming like a kid, it was absolutely amazing."),
    ("SU", "I honestly didn't expect to see anything, so it was a total shock."),
    ("MU", "Wednesday it rained all day and we were stuck inside playing cards."),
    ("N", "We read a lot, and I finished two books I'd been carrying around since spring."),
    ("CP", "The rain on the roof was actually quite relaxing after a while."),
    ("MU", "On the last day I got badly sunburned because I forgot the sunscreen, which was annoying."),
    ("N", "We packed up on Saturday and drove back the long way through the hills."),
    ("CU", "Coming home felt a bit sad, like the week went by far too quickly."),
    ("MP", "But I'd go back in a heartbeat, it was a really lovely week."),
]

# S01 ep2 - audit month and a promotion
STORIES["S01", "ep2"] = [
    ("N", "I work in the accounts team at a logistics company, so most days are pretty routine."),
    ("N", "I usually get in around 8:30, check my emails, and go through the invoices from the night before."),
    ("MU", "This month, though, we had the annual audit, and everything was a bit stressful."),
    ("EA", "My manager dumped three extra reports on my desk on Monday and said they were due Wednesday."),
    ("XA", "I was furious, because he'd known about them for weeks and just didn't tell anyone."),
    ("MU", "I ended up staying late every night and skipping the gym."),
    ("N", "We ordered pizza to the office on Tuesday and worked until about ten."),
    ("EF", "On Wednesday morning the shared drive crashed and I panicked, because all my files were on it."),
    ("EF", "My heart was pounding, I really thought I'd lost two days of work."),
    ("MP", "Luckily the IT guy restored everything from a backup within an hour."),
    ("N", "We sent the reports at 4:55, five minutes before the deadline."),
    ("CP", "I went home, had a long bath and went to bed early."),
    ("N", "On Friday the auditors came in and asked a lot of questions about the spreadsheets."),
    ("N", "It was mostly fine, just a few small corrections to make."),
    ("SU", "Then, out of nowhere, my manager called me into his office and said they wanted to promote me."),
    ("EP", "I was thrilled, I literally jumped up and down in the stairwell afterwards."),
    ("EP", "I rang my mum straight away and she was so happy for me."),
    ("MP", "It's a small raise, but it means I'll be leading the team next year."),
    ("N", "I still have to sort out the details with HR next week."),
    ("MU", "I'm a bit nervous about managing people who used to be my colleagues."),
]

# S01 ep3 - a car accident
STORIES["S01", "ep3"] = [
    ("N", "It happened on a Thursday evening, I was driving home from my sister's place."),
    ("N", "It was dark and a bit wet, and there wasn't much traffic on the road."),
    ("N", "I was in the left lane doing about fifty, listening to the radio."),
    ("EF", "Suddenly a van pulled out of a side road right in front of me."),
    ("XF", "I slammed on the brakes and screamed, and the car skidded and crashed into the barrier."),
    ("XF", "For a second I was absolutely terrified, I thought I was going to die."),
    ("EF", "The airbag went off and there was smoke everywhere and I couldn't see anything."),
    ("EF", "My hands were shaking so badly I couldn't undo the seatbelt."),
    ("N", "A man from the car behind came over and helped me get out."),
    ("EA", "The van driver just drove off, he didn't even stop, which still makes me angry."),
    ("N", "The police came after about twenty minutes and took my statement."),
    ("N", "They took me to the hospital to get checked, but it was only bruises and a sore neck."),
    ("CP", "My sister came to pick me up and made me a hot cup of tea at her place."),
    ("CU", "I didn't sleep that night, I just kept seeing the headlights."),
    ("CU", "For weeks I felt tired and flat, and I didn't want to drive at all."),
    ("MU", "The insurance company has been slow and it's all very frustrating."),
    ("MU", "The car was written off, so now I'm dealing with buying a new one."),
    ("N", "I've started driving again, just short trips to the shops."),
    ("MP", "I'm grateful it wasn't worse, honestly, it could've been so much worse."),
    ("CP", "Now I drive slowly and calmly and I don't mind if people overtake me."),
]

# S01 ep4 - sister's wedding
STORIES["S01", "ep4"] = [
    ("N", "My younger sister got married in June, in a small village about an hour from us."),
    ("N", "The whole family had been planning it for over a year."),
    ("MU", "The week before was chaos, the florist cancelled and we had to find someone new."),
    ("EA", "My aunt and my mum had a huge row about the seating plan, and I was stuck in the middle."),
    ("N", "On the morning of the wedding we all got ready at my parents' house."),
    ("EP", "When my sister came down the stairs in her dress everyone just gasped, she looked amazing."),
    ("CP", "The ceremony was in an old stone church, very simple and peaceful."),
    ("XP", "When they said their vows I was crying and laughing at the same time, I was so incredibly happy for her."),
    ("N", "After that we went to a barn for the reception."),
    ("MP", "The food was lovely, there was lamb and a huge cheese table."),
    ("N", "I had to give a speech, which I'd written on the train the day before."),
    ("MU", "I was nervous, my hands were sweating and I nearly dropped my notes."),
    ("EP", "But people laughed in all the right places and my sister hugged me afterwards."),
    ("EP", "Then the band started and everyone was dancing like crazy until midnight."),
    ("SU", "At the end her husband's friends set off fireworks, which nobody knew about."),
    ("N", "We got back to the hotel at about two in the morning."),
    ("CP", "The next day we had a slow, lazy brunch in the garden."),
    ("MP", "It's one of the best days our family has had in a long time."),
    ("CU", "It's a little strange, though, knowing she's moving away to Scotland next month."),
    ("MP", "I've already booked a train to visit her in the autumn."),
]

# S02 ep1 - the allotment
STORIES["S02", "ep1"] = [
    ("N", "So my main hobby is gardening, I've got an allotment about ten minutes from the flat."),
    ("CP", "I go down there most Saturday mornings with a flask of tea and just potter about."),
    ("XC", "It's very quiet, just birds and the odd dog walker, and I feel completely relaxed there."),
    ("N", "This spring I planted potatoes, beans, onions and a few rows of lettuce."),
    ("N", "I also built a new compost bin out of old pallets."),
    ("CP", "There's something calming about digging slowly and not thinking about anything."),
    ("MU", "The slugs have been a real problem this year, they ate most of my lettuce."),
    ("EA", "And someone stole my wheelbarrow from the shed, which made me so angry."),
    ("N", "I put a new lock on the shed, and the committee says they'll fix the fence."),
    ("MP", "The beans have done really well though, I've been giving bags of them to the neighbours."),
    ("N", "My neighbour on the next plot is a retired teacher called Frank."),
    ("MP", "He's taught me a lot, like how to prune the apple trees properly."),
    ("CP", "We often sit on his bench in the afternoon sun and chat about nothing."),
    ("SU", "Last week I dug up a potato that was the size of my head, I couldn't believe it."),
    ("EP", "I was so excited I took a photo and sent it to everyone I know!"),
    ("N", "I'm planning to grow squash and tomatoes next year."),
    ("CU", "In winter it's a bit grey and lonely down there, not much to do."),
    ("CP", "But even then I like going for a quiet walk round the plots."),
    ("N", "It costs about 40 pounds a year, which is nothing really."),
    ("CP", "Honestly, it's the thing that keeps me calm when work gets busy."),
]

# S02 ep2 - grandad's death
STORIES["S02", "ep2"] = [
    ("N", "My grandad died in March, he was 91."),
    ("N", "He'd been in a care home for about two years, after his fall."),
    ("CU", "The last few months he was very tired and didn't really recognise us anymore."),
    ("CU", "It was hard to visit, I'd sit with him and hold his hand and he'd just sleep."),
    ("N", "On the Tuesday the home phoned my dad to say we should come in."),
    ("CU", "We all sat with him that evening, it was very quiet, just the clock ticking."),
    ("XS", "He passed away early the next morning, and I felt completely empty and heartbroken."),
    ("XS", "I cried for days, I couldn't eat, I just kept thinking about him."),
    ("N", "The funeral was two weeks later at the church in his village."),
    ("CU", "It was a grey, rainy day and everyone was very quiet and sad."),
    ("MP", "My cousin read a poem he loved, and it was beautiful."),
    ("MP", "Afterwards we went to the pub and told stories about him, and people were laughing."),
    (
        "N",
        "He was a carpenter his whole life, and he made half the furniture in my parents' house, including the big oak table we still eat at every day.",
    ),
    ("CP", "I remember sitting in his workshop as a kid while he sanded chairs really slowly."),
    ("CP", "He always smelled of wood and pipe smoke, I loved that."),
    ("MU", "Sorting out his things was awful, there was so much stuff."),
    ("EA", "My uncle started arguing about the money before the funeral was even over, which was disgusting."),
    ("CU", "I still miss him, especially on Sundays when we used to visit."),
    ("N", "I kept his old tape measure, it's on my desk."),
    ("CP", "I think he had a good life, and that's a comfort now."),
]

# S02 ep3 - moving house
STORIES["S02", "ep3"] = [
    ("N", "We moved house in October, from a flat in town to a small terraced house."),
    ("N", "We'd been looking for nearly a year before we found it."),
    (
        "EP",
        "When our offer was accepted we were so thrilled, we opened a bottle of champagne right there in the kitchen.",
    ),
    ("MU", "Then came the paperwork, which went on for months and was very tedious."),
    ("EA", "The sellers kept delaying and at one point I was ready to scream at the estate agent."),
    ("N", "We finally got the keys on a Thursday afternoon."),
    ("N", "My brother borrowed a van and we did it all in one weekend."),
    ("MU", "It was exhausting, carrying boxes up and down the stairs for two days."),
    ("EF", "On the Sunday the van's brakes made a horrible noise on a hill and we panicked."),
    ("N", "We stopped and called a mechanic, and it turned out to be a loose part."),
    ("N", "Everything was unpacked by the middle of the next week, more or less."),
    ("MP", "The house gets a lot of light in the mornings, which I love."),
    ("CP", "There's a tiny garden at the back, and we put a bench and some pots out there."),
    ("CP", "On Sunday evenings we sit outside with a glass of wine and it's so peaceful."),
    ("MU", "The boiler broke in the first week, of course, so we had cold showers."),
    ("N", "The neighbours are an older couple who've lived on the street for forty years."),
    ("MP", "They brought us a cake when we moved in, which was really kind."),
    ("SU", "We found an old letter from 1952 under the floorboards in the bedroom!"),
    ("N", "We're slowly painting the rooms, one a month."),
    ("MP", "It finally feels like home."),
]

# S02 ep4 - caught in a mountain storm
STORIES["S02", "ep4"] = [
    ("N", "In August I went hiking in the mountains with two friends from university."),
    ("N", "We planned a three-day route, staying in huts along the way."),
    ("MP", "The first day was perfect, clear skies and great views."),
    ("CP", "That evening we cooked pasta on a little stove and quietly watched the sunset."),
    ("N", "On the second day we set off early to cross the pass before noon."),
    ("MU", "The path was steeper than we thought and one of my friends twisted her ankle."),
    ("EF", "Then the clouds came in really fast, and within minutes we couldn't see the path."),
    (
        "XF",
        "There was thunder right above us and lightning hitting the ridge, and I was more terrified than I've ever been in my whole life.",
    ),
    ("EF", "We were scared and soaked and we'd lost the trail markers."),
    ("EA", "My friend and I started shouting at each other about which way to go."),
    ("N", "In the end we checked the map, used the compass and went back down the way we came."),
    ("EF", "It took three hours and I was shaking with cold by the time we reached the hut."),
    ("MP", "The woman who ran the hut gave us hot soup and dry blankets."),
    ("CP", "We sat by the stove and slowly warmed up, and nobody said much."),
    ("CU", "I felt really low that night, like we'd been stupid and careless."),
    ("N", "The next morning the weather was fine again, so we walked down to the valley."),
    ("N", "We took the bus back to town and got the train home."),
    ("MP", "Looking back it's a good story, and we laugh about it now."),
    ("N", "I've since done a mountain first aid course."),
    ("MU", "But I'll definitely check the forecast more carefully next time."),
]

# S03 ep1 - an ordinary week
STORIES["S03", "ep1"] = [
    ("N", "Honestly, this week has been pretty ordinary."),
    ("N", "I get up at six, make coffee and take the 7:10 train into the city."),
    ("MU", "The train was late twice, and on Wednesday it was so crowded I had to stand the whole way."),
    ("N", "At work I mostly answer phones and update the booking system."),
    ("N", "On Monday we had a team meeting about the new software."),
    ("MU", "It was long and boring, and nobody really knew what was going on."),
    (
        "N",
        "Tuesday I went to the supermarket after work and did the big shop, which always takes longer than I think because I forget half the list.",
    ),
    ("MP", "I tried a new recipe on Tuesday night, a Thai curry, and it turned out really nice."),
    ("N", "Wednesday I had a dentist appointment at half four."),
    ("MU", "He said I need a filling, which I'm not looking forward to."),
    ("CP", "Thursday evening I stayed in, had a bath and read my book."),
    ("N", "On Friday I met a couple of friends at the pub near the station."),
    ("MP", "We had a good laugh, one of them has just started dating someone new."),
    ("N", "Saturday morning I did the laundry and cleaned the bathroom."),
    ("CP", "In the afternoon I had a nap on the sofa with the cat, which was lovely."),
    ("N", "Sunday I went to my parents' for lunch, like most weeks."),
    ("MP", "Mum made a roast and we played cards afterwards."),
    ("CU", "On Sunday night I always feel a bit down, thinking about Monday."),
    ("N", "Anyway, that's my week, nothing special."),
    ("N", "Next week looks similar."),
]

# S03 ep2 - the dog that ran off
STORIES["S03", "ep2"] = [
    ("N", "We've got a little terrier called Biscuit, she's about four years old."),
    ("N", "Last Sunday I took her to the big park by the river, like I usually do."),
    ("N", "I let her off the lead near the pond so she could run around."),
    ("SU", "Suddenly a deer came out of the trees and she shot off after it."),
    ("EF", "I was shouting her name but she just kept running, and then she was gone."),
    ("XF", "I was in a complete panic, running everywhere and screaming for her, I thought she'd reach the main road."),
    ("EF", "I called my husband and he rushed over with the kids to help look."),
    ("CU", "After two hours it was getting dark and the kids were crying."),
    ("CU", "We went home without her, and the house felt so empty and quiet."),
    ("N", "I posted on the local Facebook group and printed some posters."),
    ("CU", "I couldn't sleep at all, I just lay there worrying."),
    ("N", "The next morning a woman phoned at about eight."),
    ("SU", "She said Biscuit was sitting on her doorstep, three miles away!"),
    ("XP", "I burst into tears, I was so incredibly happy and relieved."),
    ("EP", "When we got there Biscuit jumped straight into my arms and licked my face."),
    ("MP", "We bought the woman a big bunch of flowers to say thank you."),
    ("N", "The vet checked her over and she only had a small cut on her paw."),
    ("CP", "She slept for most of the next day, curled up by the radiator."),
    ("N", "Now I keep her on a long lead near the woods."),
    ("MP", "She's fine, she's lying next to me right now, actually."),
]

# S03 ep3 - the cup final
STORIES["S03", "ep3"] = [
    ("N", "I play football on Sunday mornings for a local amateur team."),
    ("N", "We're not very good, we usually finish somewhere in the middle of the league."),
    ("SU", "This season, though, we somehow made it to the cup final."),
    ("N", "The final was at a proper stadium, which none of us had ever played in."),
    ("MU", "I was really nervous before kick-off, I barely slept the night before."),
    ("N", "There were maybe 200 people watching, mostly family."),
    ("EA", "In the first half their striker kept diving and the referee gave them a penalty, which was a joke."),
    ("EA", "We were all shouting at the ref, and one of our lads got a yellow card for it."),
    ("MU", "We were one-nil down at half time and the mood in the dressing room was terrible."),
    ("N", "The coach told us to calm down and keep the ball on the ground."),
    ("EP", "Ten minutes into the second half I scored with a header from a corner!"),
    ("EP", "I ran to the crowd and my kids were screaming and jumping, it was amazing."),
    ("EF", "Then they hit the post in the last minute, and my heart nearly stopped."),
    ("N", "It went to penalties after extra time."),
    ("XP", "When our keeper saved the last one we all went completely wild, it was the best feeling of my life."),
    ("EP", "We lifted the trophy and sprayed each other with drinks, it was brilliant."),
    ("MP", "Afterwards we went to the club house and celebrated with the families."),
    ("CU", "I was so tired the next day I could hardly get out of bed."),
    ("MP", "The trophy is in the club house now, with all our names on it."),
    ("N", "Next season we've been moved up a division."),
]

# S03 ep4 - a broken arm
STORIES["S03", "ep4"] = [
    ("N", "My son broke his arm in May, he's eight."),
    ("N", "He was climbing a tree in the school playground at lunch."),
    ("EF", "The school phoned me at work and said there'd been an accident, and my stomach just dropped."),
    ("EF", "I rushed out of the office and drove to the school as fast as I could."),
    ("CU", "He was sitting in the office, pale and quiet, holding his arm."),
    ("N", "We went to A&E, and the waiting room was packed."),
    ("MU", "We waited nearly four hours before anyone looked at him."),
    ("EA", "A man in the waiting room was shouting and swearing at the nurses, which really upset my son."),
    ("N", "They did an X-ray and found it was broken in two places."),
    ("EF", "When the doctor said he might need surgery I was really frightened."),
    ("MP", "In the end they just set it and put a cast on, which was a relief."),
    ("N", "He had to wear the cast for six weeks."),
    ("MU", "He was grumpy because he couldn't go swimming or play football."),
    ("MP", "His friends all signed the cast and drew silly pictures on it."),
    ("CP", "In the evenings we'd lie on the sofa and watch films together, which was actually quite nice."),
    ("N", "We went back to the fracture clinic every two weeks."),
    ("N", "The cast came off at the end of June."),
    ("EP", "He was so happy, he went straight to the pool that same afternoon!"),
    ("MP", "The nurses were wonderful, honestly, they were so patient with him."),
    ("N", "He's banned from that tree now, by the way."),
]

# S04 ep1 - baking and the market stall
STORIES["S04", "ep1"] = [
    ("N", "I started baking about three years ago, during a long winter when I wasn't working."),
    ("CP", "At first it was just bread on Sunday mornings, slow and quiet, with the radio on."),
    ("N", "Then I moved on to cakes and pastries, and eventually crème brûlée."),
    ("MP", "My friends started asking me to bake for their birthdays, which was really nice."),
    ("N", "Last spring I decided to try a stall at the Saturday farmers' market."),
    ("MU", "I was nervous I'd look naïve, a home baker next to proper bakeries."),
    ("N", "I baked for two days straight: brownies, lemon bars, sourdough and cinnamon rolls."),
    ("N", "On the day I got up at four and loaded everything into my little car."),
    ("MU", "It was cold and windy, and my table kept nearly blowing over."),
    ("SU", "Then by ten o'clock there was a queue, and I had no idea how that happened!"),
    ("EP", "I sold out of everything by midday, I was absolutely thrilled."),
    ("EP", "I phoned my husband and I was practically screaming down the phone."),
    ("N", "I made about £300, which covered the ingredients and the pitch."),
    ("MP", "A man who runs a café in town asked if I could supply him every week."),
    ("N", "So now I bake for him on Thursdays and Fridays."),
    ("MU", "It's a lot of work and my back aches by the end of the week."),
    ("CP", "But I still love the quiet early mornings in the kitchen, with a cup of tea and the dough rising."),
    ("N", "I've bought a second oven, which takes up half the kitchen."),
    ("MP", "My kids think it's great, because they get all the broken biscuits."),
    ("MP", "Maybe one day I'll open a little shop of my own."),
]

# S04 ep2 - losing a job
STORIES["S04", "ep2"] = [
    ("N", "I'd been at the company for six years, in the marketing department."),
    ("N", "There had been rumours about cuts since the new owners took over in January."),
    ("MU", "Everyone was on edge for months, nobody knew what was happening."),
    ("N", "In April they called us into a meeting room one by one."),
    ("XS", "They told me my job was gone, and I walked out feeling sick and completely lost."),
    ("EA", "I was furious, because two weeks earlier my boss had told me I was safe."),
    ("EA", "I went to his office and we had a massive argument, I was shouting at him."),
    ("MU", "Afterwards I felt embarrassed about losing my temper."),
    ("CU", "I sat in my car in the car park for an hour and just cried."),
    (
        "CU",
        "The first few weeks at home were really miserable, I barely left the house and I didn't want to see anyone, not even my friends.",
    ),
    ("N", "I got a small redundancy payment, about three months' salary."),
    ("N", "I rewrote my résumé and started applying for jobs every day."),
    ("MU", "Most companies didn't even reply, which was so demoralising."),
    ("EF", "By July I was getting scared about paying the rent."),
    ("N", "A former colleague told me about a job at a charity."),
    ("MU", "The interview was on a video call and my internet kept dropping."),
    ("SU", "They offered me the job the next day, I couldn't believe it."),
    ("EP", "I was so happy and relieved, I went out and bought a cake for the whole family."),
    ("MP", "It's less money, but the people are kind and the work feels useful."),
    ("CP", "I sleep much better now than I did at the old place."),
]

# S04 ep3 - a surprise party
STORIES["S04", "ep3"] = [
    ("N", "For my fortieth birthday my wife said we'd just have a quiet dinner at home."),
    ("N", "I wasn't bothered, I don't usually make a big deal of birthdays."),
    ("N", "On the Saturday she sent me out to buy wine and said to take my time."),
    ("MU", "I was a bit annoyed, because it was raining and the shop was busy."),
    ("N", "When I got back all the lights in the house were off."),
    ("EF", "For a second I thought something was wrong, maybe a power cut or a break-in."),
    (
        "XP",
        'Then the lights came on and about thirty people jumped out shouting "Surprise!", and I was absolutely overjoyed.',
    ),
    ("SU", "My best friend from school had flown in from Canada, I had no idea."),
    ("EP", "I was laughing and hugging everyone, it was amazing."),
    ("N", "She'd been planning it for three months and everyone had kept it secret."),
    ("MP", "There was a huge table of food and a cake shaped like a guitar."),
    ("EP", "My brother had made a video with messages from people all over the world, and I cried watching it."),
    ("N", "Somebody put on old music from when we were teenagers."),
    ("EP", "We danced in the living room until two in the morning."),
    ("MU", "The neighbours complained about the noise, to be fair."),
    ("MU", "I had a terrible headache the next day."),
    ("CP", "On Sunday we just sat quietly in the garden, eating leftover cake."),
    ("MP", "I felt so lucky to have so many good people around me."),
    ("N", "I still have the video, I watch it sometimes."),
    ("MP", "Now I have to plan something even better for her fiftieth."),
]

# S04 ep4 - Christmas travel chaos
STORIES["S04", "ep4"] = [
    ("N", "In December we flew to Spain to spend Christmas with my in-laws."),
    ("N", "Our flight was at six in the morning, so we got up at three."),
    ("MU", "At the airport we found out the flight was delayed by five hours."),
    (
        "EA",
        "Then they cancelled it completely, and everyone in the queue was yelling at the staff, and one man even threw his bag on the floor.",
    ),
    ("EA", "I was so angry, we'd paid a fortune for those tickets."),
    ("MU", "We spent the whole day in the terminal trying to get another flight."),
    ("MU", "The kids were tired and bored and kept fighting with each other."),
    ("N", "We got seats on a flight the next evening and stayed at a hotel near the airport."),
    ("EF", "On that flight there was heavy turbulence, the plane dropped suddenly and people were screaming."),
    ("EF", "I was gripping my husband's hand, I was really scared."),
    ("N", "We landed in Madrid just after midnight."),
    ("EA", "And then our luggage didn't arrive, so we had no clothes and no presents."),
    ("N", "We filled in forms at the desk and took a taxi to my in-laws' flat."),
    ("MP", "My mother-in-law had kept dinner warm for us, which was so kind."),
    ("N", "The suitcases turned up on the 23rd."),
    ("EP", "On Christmas Eve the whole family was together and it was fantastic."),
    ("CP", "We took long, slow walks in the park and sat in cafés drinking hot chocolate."),
    ("MP", "The kids loved it, they’re already asking to go back."),
    ("N", "We flew home on the second of January without any problems."),
    ("MU", "I think next year we'll take the train, though."),
]

# S05 ep1 - learning the piano
STORIES["S05", "ep1"] = [
    ("N", "I started learning the piano at 52, which people think is a bit mad."),
    ("N", "I'd always wanted to play, but we never had one at home when I was young."),
    ("N", "I have a lesson every Tuesday with a teacher who lives two streets away."),
    ("CP", "I practise every evening for half an hour, it's the most relaxing part of my day."),
    ("XC", "When I play slowly in the evening with the lamp on, I feel totally calm and sleepy."),
    ("MU", "At first my fingers wouldn't do what I wanted, and it was really frustrating."),
    ("MU", "I nearly gave up after three months."),
    ("MP", "Then one day I managed to play a whole piece without stopping, and I was so pleased."),
    ("N", "This year my teacher asked if I'd play in the student concert in June."),
    ("EF", "I said yes, then panicked for weeks, I was terrified of making a fool of myself."),
    ("N", 'I chose a short piece by Satie, "Gymnopédie No. 1".'),
    ("N", "I practised it every day, sometimes twice a day."),
    ("EF", "On the night my heart was racing and my hands were shaking as I walked on stage."),
    ("MU", "I made a mistake in the second line, but I kept going."),
    ("EP", "When I finished everyone clapped and my daughter was cheering, it was wonderful."),
    ("EP", "I was buzzing for days afterwards."),
    ("MP", "My teacher said she was proud of me, which meant a lot."),
    ("CP", "Now I'm learning a slow Bach prelude, very gentle."),
    ("N", "I'd like to take an exam next year, maybe grade three."),
    ("MP", "It's never too late, that's what I tell people."),
]

# S05 ep2 - the neighbours upstairs
STORIES["S05", "ep2"] = [
    ("N", "We've lived in our flat for eight years, and the neighbours were always fine."),
    ("N", "Then last year a new couple moved in upstairs."),
    ("MU", "From the first week there was noise, music and thumping until late at night."),
    ("N", "I went up and politely asked them to turn it down a bit."),
    ("EA", "The guy just laughed and shut the door in my face, and I was so angry."),
    ("EA", "After that it got worse, they'd play loud music at two in the morning on weeknights."),
    ("CU", "I wasn't sleeping, I was exhausted at work and feeling really low."),
    ("XA", "One night I lost it and banged on their door, shouting at them."),
    ("MU", "I felt awful about it afterwards, that's not who I am."),
    ("N", "I wrote to the landlord and kept a diary of the noise."),
    ("MU", "The landlord was useless, he said it was a 'private matter'."),
    ("N", "In the end I contacted the council's noise team."),
    ("N", "They installed a recorder in our bedroom for two weeks."),
    ("EF", "One evening the guy followed me on the stairs and said I'd regret it, which really scared me."),
    ("N", "The council sent them a formal warning in March."),
    ("MP", "Since then it's been much quieter, thank goodness."),
    ("CP", "Last night I had the first proper quiet night's sleep in months."),
    ("N", "We still don't talk to each other, we just nod on the stairs."),
    ("MU", "I'm still a bit tense whenever I hear footsteps up there."),
    ("N", "We might move anyway."),
]

# S05 ep3 - a kitchen fire
STORIES["S05", "ep3"] = [
    ("N", "It was a normal Wednesday evening and I was cooking chips in a pan."),
    ("N", "The phone rang, so I went into the hall to answer it."),
    ("EF", "When I came back there were flames coming out of the pan, really high."),
    ("XF", "I panicked and screamed, the smoke alarm was going off and the kitchen was full of black smoke."),
    ("EF", "For a moment I froze, I didn't know what to do."),
    ("N", "Then I remembered you shouldn't use water, so I put a wet tea towel over it."),
    ("EF", "The flames caught the cupboard above and I was terrified it would spread."),
    ("EF", "I grabbed the kids and rushed them out into the street."),
    ("N", "A neighbour called the fire brigade, and they came in about ten minutes."),
    ("N", "They put it out quickly and checked the rest of the house."),
    ("MP", "The firemen were brilliant, very calm and kind to the kids."),
    ("CU", "Half the kitchen was black and ruined, and everything smelled of smoke."),
    ("CU", "I felt so stupid and guilty, sitting on the kerb in my slippers."),
    ("N", "We stayed with my brother for a week while the kitchen was cleaned."),
    ("MU", "The insurance claim took ages and involved a lot of phone calls."),
    ("N", "We got a new cooker and the cupboards were replaced."),
    ("MP", "It actually looks nicer now than it did before."),
    ("N", "I bought a fire blanket and a small extinguisher."),
    ("MU", "I still get a bit jumpy when I hear the smoke alarm test."),
    ("MP", "Mostly I’m just thankful nobody got hurt."),
]

# S05 ep4 - a new granddaughter
STORIES["S05", "ep4"] = [
    ("N", "My daughter had her first baby in September, a little girl."),
    ("EF", "The birth was early, and when she phoned to say they were rushing to hospital I was really scared."),
    ("N", "I drove up the next morning, it's about three hours."),
    ("XP", "When I held the baby for the first time I was overwhelmed with joy, it was the happiest moment."),
    ("MP", "She's tiny, with lots of dark hair, and she looks just like my daughter did."),
    ("N", "I stayed for ten days to help with cooking and washing."),
    ("MU", "The nights were hard, the baby cried a lot and nobody was getting much sleep."),
    (
        "CP",
        "But in the early mornings I'd rock her slowly by the window while everyone else slept, watching the light come up over the gardens.",
    ),
    ("XC", "Those quiet, sleepy mornings with her on my chest were so peaceful and gentle."),
    ("N", "My son-in-law went back to work after two weeks."),
    ("MU", "My daughter found it difficult at first, she was worried about everything."),
    ("MP", "I told her she's doing a great job, and she is."),
    ("CU", "Driving home I felt a bit sad and lonely, the house seemed very empty."),
    ("N", "Now we do a video call most evenings."),
    ("CP", "On Sundays I sit in the garden with a cup of tea and look at the photos."),
    ("MP", "She smiled at me for the first time last week, on the screen."),
    ("N", "They're coming to stay for Christmas."),
    ("MP", "I've already bought her far too many presents."),
    ("N", "My husband is building a cot out of old pine."),
    ("CP", "It's a slow, quiet time in my life, and I'm enjoying it."),
]

# --------------------------------------------------------------------------------------------
# Slot-filled templates, one family per mood. Each template is a format string; its slots are
# filled from SLOTS. Templated sentences are mixed into the narratives at random positions.
# --------------------------------------------------------------------------------------------
SLOTS: dict[str, list[str]] = {
    "when": [
        "That evening",
        "On Sunday afternoon",
        "Later that night",
        "The next morning",
        "After dinner",
        "Most evenings",
        "On the Saturday",
        "By the weekend",
    ],
    "calm_act": [
        "made a pot of tea",
        "sat in the garden",
        "read quietly by the window",
        "went for a slow walk",
        "had a long warm bath",
        "lay on the sofa under a blanket",
        "listened to some gentle music",
    ],
    "calm_adj": ["relaxed", "peaceful", "calm", "content", "rested", "happy and sleepy"],
    "drowsy": [
        "dozed off in my chair",
        "nearly fell asleep",
        "felt completely at peace",
        "just drifted off",
        "could barely keep my eyes open",
    ],
    "still": ["quiet and still", "calm and quiet", "peaceful and slow", "soft and sleepy"],
    "sad_act": [
        "sat alone in the kitchen",
        "stared out at the rain",
        "lay awake for hours",
        "walked home slowly",
        "looked through old photos",
        "sat in the dark for a while",
    ],
    "sad_adj": ["tired and low", "lonely", "sad and flat", "empty", "gloomy", "really down"],
    "exc_adj": ["thrilled", "so excited", "over the moon", "buzzing", "absolutely delighted", "overjoyed"],
    "good_event": [
        "I heard the news",
        "they told me it was all sorted",
        "my friends turned up",
        "we finally got there",
        "I saw the results",
        "the letter arrived",
        "they said yes",
    ],
    "racing": ["pounding", "racing", "thumping", "going like mad"],
    "fear_adj": ["terrified", "scared", "frightened", "in a total panic"],
    "bad_thing": [
        "something awful had happened",
        "it would all go wrong",
        "someone was hurt",
        "we'd be stuck there all night",
        "I'd never see them again",
    ],
    "anger_adj": ["furious", "so angry", "livid", "really fed up"],
    "annoying": [
        "nobody had told me",
        "they'd lied to us",
        "it had happened again",
        "they didn't even apologise",
        "they ignored us",
    ],
    "anger_act": [
        "shouted at them",
        "slammed the door",
        "told them exactly what I thought",
        "stormed out",
        "hung up on them",
    ],
    "overjoyed": ["overjoyed", "ecstatic", "bursting with joy", "wildly happy"],
    "joyful_act": ["laughing and dancing", "jumping around", "singing and cheering", "grinning and hugging everyone"],
    "filler": ["Then", "After that", "Anyway,", "So", "And then"],
    "neutral_act": [
        "went back to the car",
        "checked the time",
        "talked about the plan",
        "looked at the map",
        "sorted out the bills",
        "had a sandwich",
        "picked up a few things from the shop",
        "made a couple of phone calls",
        "filled in the forms",
    ],
    "time_rel": [
        "around two o'clock",
        "on the way home",
        "before the weekend",
        "at about half past six",
        "later on",
        "after lunch",
        "on Monday",
    ],
    "nice": ["nice", "lovely", "really pleasant", "good fun", "a nice change"],
    "nice_thing": [
        "lunch with my cousin",
        "the walk by the river",
        "the dinner on Friday",
        "the visit",
        "the afternoon at the park",
        "the film we saw",
    ],
    "meh_thing": ["the weather", "the traffic", "the queue", "the food there", "the noise", "the wait"],
    "meh_adj": ["a bit annoying", "pretty disappointing", "not great", "rather irritating", "a real pain"],
}

TEMPLATES: dict[str, list[str]] = {
    "N": [
        "{filler} we {neutral_act} {time_rel}.",
        "I think we {neutral_act} {time_rel}, but I'm not sure.",
        "{when}, I {neutral_act}, nothing special.",
    ],
    "MP": ["To be honest, {nice_thing} was {nice}.", "{when}, we had {nice_thing}, which was {nice}."],
    "MU": ["To be honest, {meh_thing} was {meh_adj}.", "I remember {meh_thing} being {meh_adj} that day."],
    "CP": ["{when}, I {calm_act} and felt {calm_adj}.", "I {calm_act}, and it was so {calm_adj}."],
    "XC": ["{when}, everything was so {still} that I {drowsy}.", "It was all so {still}, I {drowsy}."],
    "CU": ["{when}, I {sad_act} and felt {sad_adj}.", "I just {sad_act}, feeling {sad_adj}."],
    "EP": ["I was {exc_adj} when {good_event}!", "When {good_event}, I was {exc_adj}, I just couldn't stop smiling."],
    "EF": [
        "My heart was {racing}, and I was {fear_adj} that {bad_thing}.",
        "I was {fear_adj}, I really thought {bad_thing}.",
    ],
    "XP": [
        "It was honestly the happiest day of my life, I was {overjoyed}!",
        "I was absolutely {overjoyed}, I was {joyful_act} like a child.",
    ],
    "EA": [
        "I was {anger_adj} that {annoying}, so I {anger_act}.",
        "Honestly, I was {anger_adj}, {annoying} and I {anger_act}.",
    ],
}

# How many templated sentences of each mood (80 in all, 4 per narrative).
TEMPLATE_MOODS = {"XP": 3, "N": 21, "MP": 8, "MU": 9, "CP": 10, "XC": 7, "CU": 8, "EP": 6, "EF": 4, "EA": 4}


def _fill(rng: np.random.Generator, template: str) -> str:
    fields = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    return template.format(**{f: SLOTS[f][rng.integers(len(SLOTS[f]))] for f in fields})


def _templated(rng: np.random.Generator, taken: set[str]) -> list[tuple[str, str]]:
    moods = [m for m, k in TEMPLATE_MOODS.items() for _ in range(k)]
    out = []
    for mood in moods:
        for _ in range(1000):
            tpl = TEMPLATES[mood][rng.integers(len(TEMPLATES[mood]))]
            text = _fill(rng, tpl)
            if text not in taken:
                break
        else:  # pragma: no cover - the slot lists are large enough
            raise RuntimeError(f"could not make a new {mood} sentence")
        taken.add(text)
        out.append((mood, text))
    order = rng.permutation(len(out))
    return [out[i] for i in order]


def _rate(rng: np.random.Generator, mood: str) -> list[int]:
    means, (sd_a, sd_v, sd_emo) = MOODS[mood]
    sd = np.array([sd_a, sd_v] + [sd_emo] * 5)
    x = np.asarray(means) + rng.normal(0.0, 1.0, size=7) * sd
    return [int(v) for v in np.clip(np.floor(x + 0.5), 1, 7)]


def build(seed: int = SEED) -> tuple[list[dict], list[dict]]:
    """Return (words rows, ratings rows) as lists of dicts, in file order."""
    rng = np.random.default_rng(seed)
    taken = {text for story in STORIES.values() for _, text in story}
    if len(taken) != sum(len(s) for s in STORIES.values()):
        raise RuntimeError("duplicate hand-written sentence")
    extra = _templated(rng, taken)
    per = len(extra) // len(STORIES)

    words, ratings = [], []
    for k, key in enumerate(sorted(STORIES)):
        sub, episode = key
        story = list(STORIES[key])
        # Templated lines go anywhere but first, so each narrative opens with its own sentence.
        for mood, text in extra[k * per : (k + 1) * per]:
            story.insert(int(rng.integers(1, len(story) + 1)), (mood, text))
        t = float(rng.uniform(3.0, 25.0))
        for seg, (mood, text) in enumerate(story):
            n_words = len(text.split())
            if not 4 <= n_words <= 30:
                raise RuntimeError(f"sentence length {n_words} out of range: {text!r}")
            start = round(t, 2)
            end = round(t + 0.33 * n_words + float(rng.uniform(0.4, 1.6)), 2)
            t = end + float(rng.uniform(0.3, 3.5))
            words.append({"sub": sub, "episode": episode, "segment": seg, "label": text})
            ratings.append(
                {
                    "sub": sub,
                    "episode": episode,
                    "segment": seg,
                    "start": start,
                    "end": end,
                    **dict(zip(EMOTIONS, _rate(rng, mood))),
                    "category": CATEGORY[mood],
                }
            )
    return words, ratings


def _to_csv(rows: list[dict], columns: tuple[str, ...]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: (f"{row[c]:.2f}" if isinstance(row[c], float) else row[c]) for c in columns})
    return buf.getvalue()


def render(seed: int = SEED) -> dict[str, str]:
    words, ratings = build(seed)
    return {"words.csv": _to_csv(words, WORDS_COLUMNS), "ratings.csv": _to_csv(ratings, RATINGS_COLUMNS)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write words.csv and ratings.csv")
    ap.add_argument("--check", action="store_true", help="compare with the files in --out instead of writing")
    args = ap.parse_args(argv)
    files = render()
    if args.check:
        bad = [
            n
            for n, text in files.items()
            if not (args.out / n).is_file() or (args.out / n).read_text(encoding="utf-8") != text
        ]
        if bad:
            print(f"out of date: {', '.join(bad)} (run scripts/make_demo_corpus.py)", file=sys.stderr)
            return 1
        print("demo corpus is up to date")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out / name).write_text(text, encoding="utf-8", newline="")
        print(f"wrote {args.out / name} ({text.count(chr(10)) - 1} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

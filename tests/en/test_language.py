"""Wording classes met in real reports, one sentence or more for each, and the labels they must get.

Each class names the construction it covers. Cases run with the spaCy graph rules and with the
rule-only surface windows (--parser none) unless marked as needing one of them. Only the
observations listed are checked, so a case states what the construction decides and nothing else.
"""
import pytest

BOTH, SPACY, NONE = "both", "spacy", "none"

CASES = [
    # negated lists: the cue stands far before the last items
    ("No focal consolidation, suspicious pulmonary opacity, pleural effusion, or pneumothorax.",
     {"Consolidation": 0.0, "Pleural Effusion": 0.0, "Pneumothorax": 0.0}, BOTH),
    ("No focal consolidation, suspicious pulmonary opacity, large pleural effusion, or pneumothorax is identified.",
     {"Pneumothorax": 0.0, "Pleural Effusion": 0.0}, BOTH),
    ("Negative for focal pulmonary consolidation, pleural effusion, or pneumothorax.",
     {"Consolidation": 0.0, "Pneumothorax": 0.0}, BOTH),
    ("The lungs are clear of focal airspace disease, pneumothorax, or pleural effusion.",
     {"Lung Opacity": 0.0, "Pneumothorax": 0.0, "Pleural Effusion": 0.0}, BOTH),
    ("The lungs are normally inflated without evidence of focal airspace disease, pleural effusion, or pneumothorax.",
     {"Pleural Effusion": 0.0, "Pneumothorax": 0.0}, BOTH),
    ("Focal consolidation, pleural effusion or pneumothorax is not identified.",
     {"Consolidation": 0.0, "Pleural Effusion": 0.0, "Pneumothorax": 0.0}, BOTH),
    ("Pneumothorax is not visualized.", {"Pneumothorax": 0.0}, BOTH),
    # a scope word still ends a long negated list
    ("No focal consolidation or pleural effusion, but there is a small right apical pneumothorax.",
     {"Consolidation": 0.0, "Pleural Effusion": 0.0, "Pneumothorax": 1.0}, BOTH),
    # heart and mediastinum said to be normal: the subject phrase of a normal predicate
    ("Cardiac and mediastinal silhouettes are normal.", {"Cardiomegaly": 0.0, "Enlarged Cardiomediastinum": 0.0}, BOTH),
    ("Cardiac and mediastinal contours are within normal limits.", {"Cardiomegaly": 0.0, "Enlarged Cardiomediastinum": 0.0}, BOTH),
    ("Heart and mediastinum normal.", {"Cardiomegaly": 0.0, "Enlarged Cardiomediastinum": 0.0}, BOTH),
    ("Heart size and pulmonary vascularity appear within normal limits.", {"Cardiomegaly": 0.0}, BOTH),
    ("Cardiomediastinal silhouette and pulmonary vasculature are within normal limits.",
     {"Enlarged Cardiomediastinum": 0.0, "Cardiomegaly": None}, BOTH),
    # CheXpert's convention: the cardiomediastinal silhouette alone says nothing of Cardiomegaly
    ("The cardiomediastinal silhouette is normal.", {"Enlarged Cardiomediastinum": 0.0, "Cardiomegaly": None}, BOTH),
    ("The cardiac and mediastinal silhouettes are enlarged.", {"Cardiomegaly": 1.0, "Enlarged Cardiomediastinum": 1.0}, BOTH),
    ("The lungs are normal and the heart is enlarged.", {"Cardiomegaly": 1.0}, SPACY),
    # hedges before a long noun phrase, whichever word the parser hangs them on
    ("Possible left lower lobe pneumonia.", {"Pneumonia": -1.0}, BOTH),
    ("Possible pneumonia.", {"Pneumonia": -1.0}, BOTH),
    ("Question of left lower lobe pneumonia.", {"Pneumonia": -1.0}, BOTH),
    ("Possible area of consolidation in the left lower lobe.", {"Consolidation": -1.0}, BOTH),
    ("Possible focus of pneumonia.", {"Pneumonia": -1.0}, BOTH),
    ("The differential includes pneumonia and atelectasis.", {"Pneumonia": -1.0, "Atelectasis": -1.0}, BOTH),
    ("Basilar opacities, differential diagnosis includes atypical infection.", {"Pneumonia": -1.0}, BOTH),
    ("The differential diagnosis includes round pneumonia and parenchymal mass.", {"Pneumonia": -1.0, "Lung Lesion": -1.0}, BOTH),
    ("Right basilar opacity, concerning for pneumonia.", {"Lung Opacity": 1.0, "Pneumonia": -1.0}, BOTH),
    ("A small effusion cannot be excluded.", {"Pleural Effusion": -1.0}, BOTH),
    ("Pneumothorax?", {"Pneumothorax": -1.0}, BOTH),
    ("Left lower lobe pneumonia?", {"Pneumonia": -1.0}, BOTH),
    # recommendations name what is to be excluded, not what is seen
    ("Correlate clinically for pneumonia.", {"Pneumonia": -1.0}, BOTH),
    ("Follow-up to exclude pneumonia.", {"Pneumonia": -1.0}, BOTH),
    # a participle inside the noun phrase does not end a cue's scope
    ("No displaced, acute rib fractures are identified.", {"Fracture": 0.0}, BOTH),
    ("Deformities of the left 7th and 8th ribs, possibly healing or old fractures.", {"Fracture": -1.0}, BOTH),
    ("This may represent resolving or developing pneumonia.", {"Pneumonia": -1.0}, BOTH),
    # words about age or chronicity are not doubt
    ("Age-indeterminate compression fracture.", {"Fracture": 1.0}, BOTH),
    ("Chronic-appearing rib fracture.", {"Fracture": 1.0}, BOTH),
    ("Old healed rib fracture.", {"Fracture": 1.0}, BOTH),
    # "no significant", "no large" still negate; a change word still stops the scope
    ("No significant effusion.", {"Pleural Effusion": 0.0}, BOTH),
    ("No large pleural effusion.", {"Pleural Effusion": 0.0}, BOTH),
    ("No significant change in the right effusion.", {"Pleural Effusion": 1.0}, BOTH),
    ("No change right upper lobe cavitation.", {"Lung Lesion": 1.0}, BOTH),
    ("No opacity to suggest pneumonia.", {"Lung Opacity": 0.0, "Pneumonia": 0.0}, BOTH),
    ("There is no focal air space opacity to suggest a pneumonia.", {"Lung Opacity": 0.0, "Pneumonia": 0.0}, BOTH),
    # any finding said to be within normal limits
    ("Heart size and pulmonary vascular engorgement appear within limits of normal.", {"Edema": 0.0, "Cardiomegaly": 0.0}, BOTH),
    ("Pulmonary vascular congestion is within normal limits.", {"Edema": 0.0}, BOTH),
    ("Heart and mediastinal contours within normal limits.", {"Cardiomegaly": 0.0, "Enlarged Cardiomediastinum": 0.0}, BOTH),
    # vessels said to be increased are vascular congestion; normal vessels say nothing of edema
    ("Slightly prominent pulmonary vascularity.", {"Edema": 1.0}, BOTH),
    ("The central pulmonary vasculature is not engorged.", {"Edema": 0.0}, SPACY),
    ("Heart size and pulmonary vascularity appear within normal limits.", {"Edema": None, "Cardiomegaly": 0.0}, BOTH),
    # normal bone rules a fracture out; a bone word alone names none
    ("No acute bony abnormality.", {"Fracture": 0.0}, BOTH),
    ("No acute osseous abnormality identified.", {"Fracture": 0.0}, BOTH),
    ("Degenerative osseous abnormality of the spine.", {"Fracture": None}, BOTH),
    # devices: closure devices, shunts, stimulators, spinal hardware; removal is absence
    ("Atrial septal closure device.", {"Support Devices": 1.0}, BOTH),
    ("Spinal cord stimulator leads.", {"Support Devices": 1.0}, BOTH),
    ("Thoracic spinal fusion hardware.", {"Support Devices": 1.0}, BOTH),
    ("Median sternotomy wires.", {"Support Devices": 1.0}, BOTH),
    ("The PICC has been removed.", {"Support Devices": 0.0}, BOTH),
    ("There has been extubation and removal of the central line and enteric tube.", {"Support Devices": 0.0}, BOTH),
    ("Removal of the chest tube, with a new small pneumothorax.", {"Support Devices": 0.0, "Pneumothorax": 1.0}, BOTH),
    ("VP shunt tubing traverses the chest.", {"Support Devices": 1.0}, BOTH),
    ("Shunt vascularity from a left to right shunt.", {"Support Devices": None}, BOTH),
    # a broken device is no broken bone
    ("Left central venous catheter fracture at the level of the clavicle.", {"Fracture": None, "Support Devices": 1.0}, BOTH),
    ("The lateral most screw is fractured.", {"Fracture": None}, BOTH),
    # pleural: capping, plaques, pleural-parenchymal scarring; cystic fibrosis is no pleural fibrosis
    ("Bilateral apical pleural capping.", {"Pleural Other": 1.0}, BOTH),
    ("Calcified pleural plaques.", {"Pleural Other": 1.0}, BOTH),
    ("Pleural-parenchymal scarring at the apex.", {"Pleural Other": 1.0}, BOTH),
    ("History of cystic fibrosis.", {"Pleural Other": None}, BOTH),
    # infection outside the chest is not pneumonia
    ("Urinary tract infection.", {"Pneumonia": None}, BOTH),
    ("Intra-abdominal infection.", {"Pneumonia": None}, BOTH),
    # an infection of the past, described by its sequelae, is no pneumonia now
    ("Stable cavity in the right apex, related to prior tuberculosis infection.", {"Pneumonia": None}, BOTH),
    ("Calcified nodules from an old infection.", {"Pneumonia": None}, BOTH),
    # CheXpert's convention: a stable or unchanged silhouette or heart size is uncertain; stable cardiomegaly is not
    ("Stable cardiomediastinal silhouette.", {"Enlarged Cardiomediastinum": -1.0}, BOTH),
    ("The cardiomediastinal silhouette is unchanged.", {"Enlarged Cardiomediastinum": -1.0}, SPACY),
    ("Stable heart size.", {"Cardiomegaly": -1.0}, BOTH),
    ("Heart size is unchanged.", {"Cardiomegaly": -1.0}, BOTH),
    ("Heart size remains stable.", {"Cardiomegaly": -1.0}, BOTH),
    ("Stable cardiomegaly.", {"Cardiomegaly": 1.0}, BOTH),
    ("Heart is mildly enlarged but stable.", {"Cardiomegaly": 1.0}, BOTH),
    ("Heart size is stable and normal.", {"Cardiomegaly": 0.0}, BOTH),
    ("Cardiac silhouette at the upper limits of normal in size.", {"Cardiomegaly": -1.0}, BOTH),
    ("Heart size top normal.", {"Cardiomegaly": -1.0}, BOTH),
    ("The heart silhouette and mediastinal contours are not enlarged.", {"Cardiomegaly": 0.0}, SPACY),
    # "consistent with", "compatible with", "representing" name what is seen: CheXpert keeps them positive
    ("Streaky basilar opacities, compatible with atelectasis.", {"Atelectasis": 1.0}, BOTH),
    ("Right upper lobe consolidation representing pneumonia.", {"Pneumonia": 1.0}, BOTH),
    ("Lucency compatible with a large pneumothorax.", {"Pneumothorax": 1.0}, BOTH),
    # a cue that is itself a scope word ("without", "represent") still governs the phrase after it
    ("The lungs are clear, and without focal air space opacity.", {"Lung Opacity": 0.0}, BOTH),
    ("This may represent focal right lower lobe pneumonia.", {"Pneumonia": -1.0}, BOTH),
    # the object of a negated verb of showing or being
    ("The lungs do not demonstrate focal infiltrate or effusion.", {"Pleural Effusion": 0.0}, SPACY),
    ("Does not appear to be a hydropneumothorax.", {"Pneumothorax": 0.0}, SPACY),
    # persistence is presence, and the "or" of a list under it is no hedge (issue 25)
    ("No significant change in the right pneumothorax or pleural effusion.", {"Pneumothorax": 1.0, "Pleural Effusion": 1.0}, BOTH),
    ("No interval change in the bilateral pleural effusions or basilar atelectasis.",
     {"Pleural Effusion": 1.0, "Atelectasis": 1.0}, BOTH),
    ("Unchanged small left pleural effusion or pleural thickening.", {"Pleural Effusion": 1.0, "Pleural Other": 1.0}, BOTH),
    ("Persistent right lower lobe consolidation or pneumonia.", {"Consolidation": 1.0, "Pneumonia": 1.0}, BOTH),
    ("Stable small right effusion or pleural thickening.", {"Pleural Effusion": 1.0, "Pleural Other": 1.0}, BOTH),
    ("Right middle lobe consolidation or mass is unchanged.", {"Consolidation": 1.0, "Lung Lesion": 1.0}, BOTH),
    ("Left apical pneumothorax again noted.", {"Pneumothorax": 1.0}, BOTH),
    ("Left basilar effusion or consolidation again seen.", {"Pleural Effusion": 1.0, "Consolidation": 1.0}, BOTH),
    # outside persistence, "X or Y" is still a differential; between atelectasis and scar it names one opacity
    ("Stable left basilar opacity, atelectasis or pneumonia.", {"Lung Opacity": 1.0, "Atelectasis": 1.0, "Pneumonia": -1.0}, SPACY),
    ("Right basilar opacity, atelectasis or pneumonia.", {"Lung Opacity": 1.0, "Atelectasis": 1.0, "Pneumonia": -1.0}, BOTH),
    ("Linear left basilar scarring or atelectasis.", {"Atelectasis": 1.0, "Lung Opacity": 1.0}, BOTH),
    ("Perihilar opacity, edema or pneumonia.", {"Edema": -1.0, "Pneumonia": -1.0}, BOTH),
    ("No pleural effusion or pneumothorax.", {"Pleural Effusion": 0.0, "Pneumothorax": 0.0}, BOTH),
    # synonyms the lexicon missed: air in the pleural space, apical and fissural pleural thickening, spinal fusion
    ("Small left apical air collection.", {"Pneumothorax": 1.0}, BOTH),
    ("Right pleural air collection.", {"Pneumothorax": 1.0}, BOTH),
    ("Small air collection in the pleural space at the right base.", {"Pneumothorax": 1.0}, BOTH),
    ("No pleural air collection.", {"Pneumothorax": 0.0}, BOTH),
    ("Subcutaneous air collection in the left chest wall.", {"Pneumothorax": None}, BOTH),
    ("Biapical pleural thickening or scarring.", {"Pleural Other": 1.0}, BOTH),
    ("Apical pleural thickening on the right.", {"Pleural Other": 1.0}, BOTH),
    ("Pleural-parenchymal scarring at the left apex.", {"Pleural Other": 1.0}, BOTH),
    ("Mild thickening of the minor fissure.", {"Pleural Other": 1.0}, BOTH),
    ("Interlobar fissural thickening.", {"Pleural Other": 1.0}, BOTH),
    ("Postsurgical changes of anterior cervical fusion.", {"Support Devices": 1.0}, BOTH),
    ("Internal fixation of the right humerus.", {"Support Devices": 1.0}, BOTH),
    # "X versus Y" or "X or Y" after a reading word, or before "etiology", is uncertain for both; the opacity is seen
    ("Bilateral opacities representing infection versus edema.",
     {"Lung Opacity": 1.0, "Pneumonia": -1.0, "Edema": -1.0}, BOTH),
    ("Basilar opacity suggesting atelectasis or pneumonia.",
     {"Lung Opacity": 1.0, "Atelectasis": -1.0, "Pneumonia": -1.0}, BOTH),
    ("Patchy airspace disease of infectious versus inflammatory etiology.", {"Lung Opacity": 1.0, "Pneumonia": -1.0}, BOTH),
    ("Interstitial opacities, edema vs. infection.", {"Lung Opacity": 1.0, "Edema": -1.0, "Pneumonia": -1.0}, BOTH),
    ("Left lower lobe atelectasis versus infiltrate.", {"Atelectasis": -1.0, "Lung Opacity": -1.0}, BOTH),
    # procedure words are the indication said again, not a finding; a device under evaluation is there
    ("Dedicated rib views are recommended for evaluation of rib fractures.", {"Fracture": -1.0}, BOTH),
    ("An expiratory view may be obtained to assess for pneumothorax.", {"Pneumothorax": -1.0}, BOTH),
    ("Lateral view for evaluation of pleural effusion.", {"Pleural Effusion": -1.0}, BOTH),
    ("Limited evaluation of the left subclavian central venous catheter.", {"Support Devices": 1.0}, BOTH),
    ("If there is continued clinical concern for rib fracture, dedicated rib views could be obtained.", {"Fracture": -1.0}, BOTH),
    # a reading that depends on the clinic, and a hedge after the finding
    ("In the appropriate clinical setting, this is compatible with pneumonia.", {"Pneumonia": -1.0}, BOTH),
    ("Small bilateral pleural effusions suspected.", {"Pleural Effusion": -1.0}, BOTH),
    # an opacity the report explains by a structure outside the lung is no lung opacity
    ("Retrocardiac density compatible with a hiatal hernia.", {"Lung Opacity": 0.0}, BOTH),
    ("Nodular opacities over both lower chest walls consistent with nipple shadows.", {"Lung Lesion": 0.0}, BOTH),
    ("Lungs are clear airspace disease.", {"Lung Opacity": 0.0}, BOTH),
    ("Lungs are expanded and clear airspace disease.", {"Lung Opacity": 0.0}, BOTH),
    # an opacity of nodular shape is an opacity, and only perhaps a nodule; a nodule named stays one
    ("There is a 6 mm nodular opacity in the right upper lobe.", {"Lung Lesion": -1.0, "Lung Opacity": 1.0}, BOTH),
    ("Nodular densities projecting over the right anterior fifth rib.", {"Lung Lesion": -1.0, "Lung Opacity": 1.0}, BOTH),
    ("No suspicious nodular opacity.", {"Lung Lesion": 0.0}, BOTH),
    ("Right upper lobe pulmonary nodule.", {"Lung Lesion": 1.0}, BOTH),
    # a hedge just before the finding, where the parse hangs the finding elsewhere
    ("Apical irregularities also present on the previous exam suggestive of scarring.", {"Lung Opacity": -1.0}, BOTH),
    ("Left basilar bandlike opacities suggestive of scarring or atelectasis.", {"Atelectasis": -1.0}, BOTH),
    # "interval" and "other" inside a negated list are no pseudo-negations ("no interval change in" still is one)
    ("The lungs are clear without interval consolidation, pleural effusion or pneumothorax.",
     {"Consolidation": 0.0, "Pleural Effusion": 0.0}, BOTH),
    ("No airspace disease or other parenchymal infiltrates.", {"Lung Opacity": 0.0}, BOTH),
    ("No interval change in the small left pleural effusion.", {"Pleural Effusion": 1.0}, BOTH),
    # a hedged cause does not hedge the finding it explains; the cause itself stays uncertain
    ("Minimal fibrosis in the right apex, may be due to prior radiation treatment.", {"Pleural Other": 1.0}, BOTH),
    ("Right lung mass may be related to lymphadenopathy.", {"Lung Lesion": 1.0}, BOTH),
    ("Right basilar opacity may be due to pneumonia.", {"Lung Opacity": 1.0, "Pneumonia": -1.0}, BOTH),
    # a doubled full stop ends a sentence: the next one is outside the first one's negation
    ("No evidence of focal consolidation or pleural effusion.. Left basilar subsegmental atelectasis noted.",
     {"Pleural Effusion": 0.0, "Atelectasis": 1.0}, BOTH),
]


def check(labeler, sentence, expected):
    labels = labeler.label([sentence])[0].labels
    got = {k: labels.get(k) for k in expected}
    assert got == expected, f"{sentence!r}: {got} != {expected}"


@pytest.mark.parametrize("sentence, expected", [c[:2] for c in CASES if c[2] in (BOTH, SPACY)])
def test_spacy(spacy_labeler, sentence, expected):
    check(spacy_labeler, sentence, expected)


@pytest.mark.parametrize("sentence, expected", [c[:2] for c in CASES if c[2] in (BOTH, NONE)])
def test_parser_none(surface_labeler, sentence, expected):
    check(surface_labeler, sentence, expected)
